import Parallel

/// Every chosen sample's loss and whole gradient ∇ᵢ at fixed parameters, each through its own
/// thinned network (the literal path's `sampleGradient`), a window of samples at a time: what
/// `thinned per-sample` exports.
///
/// Memory is one gradient per sample of a window (`window × parameters` floats), whatever the
/// number of samples; the caller receives each window in sample order and writes it out.
public struct PerSampleGradients {
    /// Which masks the samples' networks carry.
    public enum MaskChoice: Sendable, Equatable {
        /// None: the network as it predicts (every layer's input times its prediction scale).
        case none
        /// Training's masks of step `step`: the samples, in the order given, take batch positions
        /// 0, 1, … of that step and draw the masks those positions draw.
        case step(Int)
    }

    /// Samples computed at once (one task each).
    public static let window = 16

    let network: Network
    let pool: any ForkJoinExecutor

    /// The gradients of `model`'s network with `seed` (whose masks are drawn from it) on `pool`.
    public init(model: ModelConfiguration, seed: UInt64, pool: any ForkJoinExecutor) {
        BLAS.useSingleThread()
        network = Network(model: model, seed: seed)
        self.pool = pool
    }

    /// One window's results, valid only during the call that receives it.
    public struct Window {
        /// The position in the list of samples of the window's first sample.
        public let first: Int
        /// Each sample's loss.
        public let losses: UnsafeBufferPointer<Float>
        /// Each sample's gradient norm ‖∇ᵢ‖.
        public let norms: UnsafeBufferPointer<Float>
        /// `[count, parameters]`: each sample's gradient in the layout of the parameters.
        public let gradients: UnsafeBufferPointer<Float>
    }

    /// Computes samples `samples` (indices into `dataset`) at `parameters`, `window` at a time,
    /// calling `body` with each window in order; stops at the first error `body` throws.
    public func compute(_ samples: [Int32], of dataset: Dataset, parameters: [Float], masks: MaskChoice,
                        _ body: (Window) throws -> Void) throws {
        let count = network.layout.count
        precondition(parameters.count == count, "PerSampleGradients: \(parameters.count) parameters, the model has \(count)")
        precondition(samples.allSatisfy { $0 >= 0 && Int($0) < dataset.count }, "PerSampleGradients: a sample outside the data set")
        let widths = network.model.layers
        let workspaces = pool.map { _ in Workspace(widths: widths, rows: 1) }
        var losses = [Float](repeating: 0, count: Self.window), norms = losses
        var gradients = [Float](repeating: 0, count: Self.window * count)
        let network = self.network
        let batchMasks: Masks = switch masks {
        case .none: .weightScaling
        case let .step(step): .training(step: step)
        }
        try dataset.images.withUnsafeBufferPointer { images in
            try dataset.labels.withUnsafeBufferPointer { labels in
                try samples.withUnsafeBufferPointer { indices in
                    try parameters.withUnsafeBufferPointer { theta in
                        for first in stride(from: 0, to: samples.count, by: Self.window) {
                            let n = min(Self.window, samples.count - first)
                            let batch = Network.Batch(images: images.baseAddress!, labels: labels.baseAddress!,
                                                      indices: indices.baseAddress!, count: samples.count, masks: batchMasks)
                            losses.withUnsafeMutableBufferPointer { l in
                                norms.withUnsafeMutableBufferPointer { m in
                                    gradients.withUnsafeMutableBufferPointer { g in
                                        let l = l.baseAddress!, m = m.baseAddress!, g = g.baseAddress!
                                        pool.forEachChunk(of: 0..<n, size: 1) { chunk, worker in
                                            let task = chunk.lowerBound, gradient = g + task * count
                                            l[task] = LiteralStep.sampleGradient(network, workspaces[worker.index], position: first + task,
                                                                                 batch: batch, parameters: theta.baseAddress!, into: gradient)
                                            m[task] = Float(Network.squaredNorm(gradient, count: count).squareRoot())
                                        }
                                    }
                                }
                            }
                            try losses.withUnsafeBufferPointer { l in
                                try norms.withUnsafeBufferPointer { m in
                                    try gradients.withUnsafeBufferPointer { g in
                                        try body(Window(first: first, losses: UnsafeBufferPointer(rebasing: l[0..<n]),
                                                        norms: UnsafeBufferPointer(rebasing: m[0..<n]),
                                                        gradients: UnsafeBufferPointer(rebasing: g[0..<(n * count)])))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
