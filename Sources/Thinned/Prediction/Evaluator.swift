import Parallel

/// Prediction over a data set on the pool, in fixed chunks of items, by any `InferenceRule` —
/// every rule one forward pass of `Network` with its own `Masks`.
///
/// Per-item results are combined in item order (Monte-Carlo passes in pass order, enumerated
/// masks in mask order), so they do not depend on the thread count.
final class Evaluator {
    static let chunk = 250

    let network: Network
    let pool: any ForkJoinExecutor
    let workspaces: [Workspace]

    init(network: Network, pool: any ForkJoinExecutor) {
        BLAS.useSingleThread()
        self.network = network
        self.pool = pool
        workspaces = pool.map { _ in Workspace(widths: network.model.layers, rows: Self.chunk) }
    }

    /// The predicted probabilities, `[count, classes]` row-major.
    func probabilities(_ dataset: Dataset, parameters: [Float], rule: InferenceRule) -> [Float] {
        var result = [Float](repeating: 0, count: dataset.count * network.model.classes)
        if dataset.count == 0 { return result }
        let identity = (0..<Int32(dataset.count)).map { $0 }
        parameters.withUnsafeBufferPointer { theta in
            dataset.images.withUnsafeBufferPointer { images in
                dataset.labels.withUnsafeBufferPointer { labels in
                    identity.withUnsafeBufferPointer { indices in
                        result.withUnsafeMutableBufferPointer { out in
                            // The whole data set as one batch, each item at its own index; each rule
                            // sets the masks of its passes.
                            let batch = Network.Batch(images: images.baseAddress!, labels: labels.baseAddress!,
                                                      indices: indices.baseAddress!, count: dataset.count,
                                                      masks: .weightScaling, wantsProbabilities: true)
                            switch rule {
                            case .weightScaling:
                                average([.weightScaling], batch, parameters: theta.baseAddress!, into: out.baseAddress!)
                            case let .monteCarlo(samples):
                                average((0..<samples).map { .monteCarlo(pass: $0) }, batch, parameters: theta.baseAddress!,
                                        into: out.baseAddress!)
                            case .exact:
                                exactMean(batch, parameters: theta.baseAddress!, into: out.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The metrics of the probabilities that `rule` predicts for `dataset`.
    func evaluate(_ dataset: Dataset, parameters: [Float], rule: InferenceRule = .weightScaling) -> Evaluation {
        Evaluation(probabilities: probabilities(dataset, parameters: parameters, rule: rule), labels: dataset.labels,
                   classes: network.model.classes)
    }

    /// The mean of the probabilities of one forward pass per element of `passes`, over every item
    /// of `batch` (whose indices are the items' own): summed in pass order in Float, then
    /// multiplied by 1 / passes.count.
    private func average(_ passes: [Masks], _ batch: Network.Batch, parameters theta: UnsafePointer<Float>,
                         into out: UnsafeMutablePointer<Float>) {
        let network = self.network, workspaces = self.workspaces, classes = network.model.classes
        pool.forEachChunk(of: 0..<batch.count, size: Self.chunk) { chunk, worker in
            let workspace = workspaces[worker.index], block = out + chunk.lowerBound * classes
            for masks in passes {
                var pass = batch
                pass.masks = masks
                network.forward(workspace, rows: 0..<chunk.count, positionOffset: chunk.lowerBound, batch: pass, parameters: theta)
                for k in 0..<(chunk.count * classes) { block[k] += workspace.outputs[k] }
            }
            let inverse = 1 / Float(passes.count)
            for k in 0..<(chunk.count * classes) { block[k] *= inverse }
        }
    }

    /// E_z[softmax(f(x, z))] of every item of `batch` over the masks of its `ExactEnsemble`: each
    /// item's masks run `chunk` at a time as the rows of one forward pass, and their
    /// probabilities are summed, weighted by each mask's probability, in Double, in mask order.
    private func exactMean(_ batch: Network.Batch, parameters theta: UnsafePointer<Float>,
                           into out: UnsafeMutablePointer<Float>) {
        let network = self.network, workspaces = self.workspaces, classes = network.model.classes
        let ensemble = ExactEnsemble(model: network.model)
        pool.forEachChunk(of: 0..<batch.count, size: 1) { item, worker in
            let workspace = workspaces[worker.index], i = item.lowerBound
            // Every row of a block holds item i, each with its own mask.
            let rows = [Int32](repeating: batch.indices[i], count: min(Self.chunk, ensemble.count))
            var mean = [Double](repeating: 0, count: classes)
            rows.withUnsafeBufferPointer { indices in
                for first in stride(from: 0, to: ensemble.count, by: Self.chunk) {
                    let block = Network.Batch(images: batch.images, labels: batch.labels, indices: indices.baseAddress!,
                                              count: min(Self.chunk, ensemble.count - first),
                                              masks: .enumerated(first: first), wantsProbabilities: true)
                    network.forward(workspace, rows: 0..<block.count, positionOffset: 0, batch: block, parameters: theta)
                    for r in 0..<block.count {
                        let probability = ensemble.probability(mask: first + r)
                        for j in 0..<classes { mean[j] += probability * Double(workspace.outputs[r * classes + j]) }
                    }
                }
            }
            for j in 0..<classes { out[i * classes + j] = Float(mean[j]) }
        }
    }
}
