import Parallel

/// Runs prediction over a data set on the pool, in fixed chunks of items.
final class Predictor {
    static let chunk = 250

    let network: Network
    let pool: WorkerPool
    let workspaces: [Workspace]

    init(network: Network, pool: WorkerPool) {
        self.network = network
        self.pool = pool
        workspaces = pool.map { _ in Workspace(widths: network.model.layers, rows: Self.chunk) }
    }

    /// The accuracy and mean loss of `parameters` on `dataset`; per-item results are summed in
    /// item order, so they do not depend on the thread count.
    func evaluate(_ dataset: Dataset, parameters: [Float]) -> Evaluation {
        let count = dataset.count
        var losses = [Float](repeating: 0, count: count)
        var predictions = [Int32](repeating: 0, count: count)
        let network = self.network, workspaces = self.workspaces
        parameters.withUnsafeBufferPointer { theta in
            dataset.images.withUnsafeBufferPointer { images in
                dataset.labels.withUnsafeBufferPointer { labels in
                    losses.withUnsafeMutableBufferPointer { losses in
                        predictions.withUnsafeMutableBufferPointer { predictions in
                            pool.forEachChunk(of: 0..<count, size: Self.chunk) { chunk, worker in
                                network.predict(workspaces[worker.index], rows: 0..<chunk.count, first: chunk.lowerBound,
                                                images: images.baseAddress!, labels: labels.baseAddress!,
                                                parameters: theta.baseAddress!, losses: losses.baseAddress!,
                                                predictions: predictions.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        var correct = 0, sum = 0.0
        for i in 0..<count {
            if predictions[i] == dataset.labels[i] { correct += 1 }
            sum += Double(losses[i])
        }
        return Evaluation(count: count, correct: correct, meanLoss: count == 0 ? 0 : sum / Double(count))
    }
}
