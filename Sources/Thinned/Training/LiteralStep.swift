import Parallel

/// The reference path, Algorithm 5-8 word for word: every sample's gradient ∇ᵢ is materialised
/// in full, then ∇_ave = (1/|𝔹|) Σᵢ ∇ᵢ is summed in sample order.
///
/// Samples run `window` at a time (concurrently, one per task); their gradients are then added
/// to the running sum in sample order, in parallel over fixed chunks of the parameters. The
/// window bounds memory (window × parameters floats) and, like the chunks, does not depend on
/// the number of threads, so neither do the bits.
final class LiteralStep: GradientEngine {
    /// Samples whose gradients are held at once.
    static let window = 8
    /// Parameters per chunk of the in-order sum and of the update.
    static let chunk = 16_384

    let network: Network
    let pool: WorkerPool
    let batchSize: Int
    /// One single-row workspace per worker, allocated by that worker (first touch on its node).
    let workspaces: [Workspace]
    /// `window` full gradients, `[window, parameters]`.
    let perSample: UnsafeMutablePointer<Float>
    let losses: UnsafeMutablePointer<Float>

    init(network: Network, pool: WorkerPool, batchSize: Int) {
        self.network = network
        self.pool = pool
        self.batchSize = batchSize
        workspaces = pool.map { _ in Workspace(widths: network.model.layers, rows: 1) }
        perSample = .allocate(capacity: Self.window * network.layout.count)
        perSample.initialize(repeating: 0, count: Self.window * network.layout.count)
        losses = .allocate(capacity: batchSize)
        losses.initialize(repeating: 0, count: batchSize)
    }

    deinit {
        perSample.deallocate()
        losses.deallocate()
    }

    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float {
        precondition(batch.count == batchSize, "LiteralStep: batch of \(batch.count), built for \(batchSize)")
        let network = self.network, workspaces = self.workspaces, perSample = self.perSample, losses = self.losses
        let parameters = network.layout.count
        state.withPointers { p in
            let sum = p.gradient
            pool.forEachChunk(of: 0..<parameters, size: Self.chunk) { chunk, _ in
                for j in chunk { sum[j] = 0 }
            }
            for start in stride(from: 0, to: batchSize, by: Self.window) {
                let samples = start..<min(start + Self.window, batchSize)
                pool.forEachChunk(of: samples, size: 1) { chunk, worker in
                    let i = chunk.lowerBound
                    let gradient = perSample + (i - start) * parameters
                    losses[i] = Self.sampleGradient(network, workspaces[worker.index], position: i, batch: batch,
                                                    parameters: p.theta, into: gradient)
                }
                pool.forEachChunk(of: 0..<parameters, size: Self.chunk) { chunk, _ in
                    for s in 0..<samples.count {
                        let gradient = perSample + s * parameters
                        for j in chunk { sum[j] += gradient[j] }
                    }
                }
            }
            let inverse = 1 / Float(batchSize)
            pool.forEachChunk(of: 0..<parameters, size: Self.chunk) { chunk, _ in
                for j in chunk { sum[j] *= inverse }
                p.apply(update, chunk)
            }
        }
        return Network.meanLoss(losses, count: batchSize)
    }

    /// ∇ᵢ: the gradient of the loss of the sample at batch `position` alone, through its own
    /// thinned network, written in full into `gradient` (the parameter layout). Returns its loss.
    static func sampleGradient(_ network: Network, _ workspace: Workspace, position: Int, batch: Network.Batch,
                               parameters theta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>) -> Float {
        network.forward(workspace, rows: 0..<1, positionOffset: position, batch: batch, parameters: theta)
        for l in stride(from: network.model.depth - 1, through: 0, by: -1) {
            let layer = network.layout.layers[l]
            network.gradient(workspace, layer: l, rows: 1, outputs: 0..<layer.outputs, inputs: 0..<layer.inputs,
                             alpha: 1, into: gradient)
            if l > 0 { network.backwardDelta(workspace, layer: l, rows: 0..<1, parameters: theta) }
        }
        return workspace.losses[0]
    }
}
