import Parallel

/// Prediction over a data set on the pool, in fixed chunks of items, by any `InferenceRule`.
/// Per-item results are combined in item order (and Monte-Carlo passes in pass order), so they
/// do not depend on the thread count.
final class Evaluator {
    static let chunk = 250

    let network: Network
    let pool: WorkerPool
    let workspaces: [Workspace]

    init(network: Network, pool: WorkerPool) {
        BLAS.useSingleThread()
        self.network = network
        self.pool = pool
        workspaces = pool.map { _ in Workspace(widths: network.model.layers, rows: Self.chunk) }
    }

    /// The predicted probabilities, `[count, classes]` row-major.
    func probabilities(_ dataset: Dataset, parameters: [Float], rule: InferenceRule) -> [Float] {
        let classes = network.model.classes, count = dataset.count
        var result = [Float](repeating: 0, count: count * classes)
        if count == 0 { return result }
        if rule == .exact {
            precondition(network.model.dropout != .dropconnect, "Evaluator: the exact ensemble of DropConnect masks is not enumerated")
            let ensemble = ExactEnsemble(model: network.model, parameters: parameters)
            result.withUnsafeMutableBufferPointer { out in
                pool.forEachChunk(of: 0..<count, size: 1) { item, _ in
                    let i = item.lowerBound
                    let image = Array(dataset.images[(i * dataset.features)..<((i + 1) * dataset.features)])
                    let p = ensemble.mean(image: image).probabilities
                    for j in 0..<classes { out[i * classes + j] = Float(p[j]) }
                }
            }
            return result
        }
        let identity = (0..<Int32(count)).map { $0 }
        let network = self.network, workspaces = self.workspaces
        let passes: Int
        if case let .monteCarlo(samples) = rule { passes = samples } else { passes = 0 }
        parameters.withUnsafeBufferPointer { theta in
            dataset.images.withUnsafeBufferPointer { images in
                dataset.labels.withUnsafeBufferPointer { labels in
                    identity.withUnsafeBufferPointer { indices in
                        result.withUnsafeMutableBufferPointer { out in
                            pool.forEachChunk(of: 0..<count, size: Self.chunk) { chunk, worker in
                                let workspace = workspaces[worker.index]
                                let rows = 0..<chunk.count
                                let probabilities = workspace.deltas[network.model.depth - 1]
                                if passes == 0 {
                                    network.predict(workspace, rows: rows, first: chunk.lowerBound, images: images.baseAddress!,
                                                    parameters: theta.baseAddress!)
                                    for k in 0..<(chunk.count * classes) { out[chunk.lowerBound * classes + k] = probabilities[k] }
                                    return
                                }
                                for t in 0..<passes {
                                    var batch = Network.Batch(images: images.baseAddress!, labels: labels.baseAddress!,
                                                              indices: indices.baseAddress!, count: count, step: t)
                                    batch.purpose = .inference
                                    batch.wantsProbabilities = true
                                    if network.model.dropout == .dropconnect {
                                        // Each item its own masked weights: one item at a time.
                                        for i in chunk {
                                            _ = network.dropConnectForward(workspace, position: i, batch: batch,
                                                                           parameters: theta.baseAddress!)
                                            for j in 0..<classes { out[i * classes + j] += probabilities[j] }
                                        }
                                    } else {
                                        network.forward(workspace, rows: rows, positionOffset: chunk.lowerBound, batch: batch,
                                                        parameters: theta.baseAddress!)
                                        for k in 0..<(chunk.count * classes) { out[chunk.lowerBound * classes + k] += probabilities[k] }
                                    }
                                }
                                let inverse = 1 / Float(passes)
                                for k in 0..<(chunk.count * classes) { out[chunk.lowerBound * classes + k] *= inverse }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    func evaluate(_ dataset: Dataset, parameters: [Float], rule: InferenceRule = .weightScaling) -> Evaluation {
        Evaluation(probabilities: probabilities(dataset, parameters: parameters, rule: rule), labels: dataset.labels,
                   classes: network.model.classes)
    }
}

extension Network {
    /// Prediction without masks for rows `rows` of `workspace`, holding items `first + r`: every
    /// layer's input multiplied by its prediction scale (weight scaling for vanilla dropout).
    /// Leaves the probabilities in the last `deltas`.
    func predict(_ workspace: Workspace, rows: Range<Int>, first: Int, images: UnsafePointer<Float>,
                 parameters theta: UnsafePointer<Float>) {
        let widths = model.layers
        let inputScale = model.predictionScale(layer: 0)
        for r in rows {
            let x = workspace.activations[0] + r * widths[0]
            let source = images + (first + r) * widths[0]
            for e in 0..<widths[0] { x[e] = source[e] * inputScale }
        }
        let last = model.depth - 1
        for (l, layer) in layout.layers.enumerated() {
            let y = l < last ? workspace.activations[l + 1] : workspace.deltas[l]
            Dense.forward(x: workspace.activations[l] + rows.lowerBound * layer.inputs, w: theta + layer.weights.lowerBound,
                          y: y + rows.lowerBound * layer.outputs, rows: rows.count, inputs: layer.inputs, outputs: layer.outputs)
            let b = theta + layer.bias.lowerBound
            for r in rows {
                let row = y + r * layer.outputs
                if l < last {
                    let scale = model.predictionScale(layer: l + 1)
                    for e in 0..<layer.outputs { row[e] = max(row[e] + b[e], 0) * scale }
                } else {
                    _ = SoftmaxCrossEntropy.probabilities(logits: row, bias: b, classes: layer.outputs, label: 0)
                }
            }
        }
    }
}
