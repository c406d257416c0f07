import Parallel

/// How the per-sample gradients are computed and averaged.
public enum GradientMode: String, CaseIterable, Sendable, Codable {
    /// The plan of record: fixed sample shards with GEMMs, weight gradients over fixed tiles
    /// summed over the batch, no per-worker copies, no allocation in steady state.
    case fused
    /// The reference: every ∇ᵢ materialised, then averaged in sample order.
    case literal
}

/// One training step of Algorithm 5-8 on a pool: per-sample masks and gradients, their average,
/// one update. Returns the mean loss of the batch.
protocol GradientEngine: AnyObject {
    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float
    /// Set to collect where the time of each step goes; nil (the default) records nothing.
    var profiler: Profiler? { get set }
}

extension Network {
    /// The mean of `count` losses, summed in sample order in Double.
    static func meanLoss(_ losses: UnsafePointer<Float>, count: Int) -> Float {
        var sum = 0.0
        for r in 0..<count { sum += Double(losses[r]) }
        return Float(sum / Double(count))
    }
}
