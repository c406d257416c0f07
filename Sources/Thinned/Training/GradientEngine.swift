/// One training step of Algorithm 5-8 on a pool: per-sample masks and gradients, their average,
/// one update. `step` returns the mean loss of the batch (`meanLoss`).
protocol GradientEngine: AnyObject {
    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float
    /// Set to collect where the time of each step goes; nil (the default) records nothing.
    var profiler: Profiler? { get set }
    /// The task counts of a step's fork–joins, in the order the step runs them: the same for
    /// every step of an engine (the profiler's task log is laid out by it).
    var phaseTaskCounts: [Int] { get }
    /// `sampleNorms[i]`: the norm of the last step's gradient of batch sample `i`, before
    /// clipping; written only by a step that measures norms (`measuresNorms`; every step that clips).
    var sampleNorms: UnsafeMutablePointer<Float> { get }
    /// The largest batch a step takes: the batch size, or more for Poisson sampling's batches.
    var capacity: Int { get }
    /// Whether each step measures the per-sample norms (every step that clips, or that keeps
    /// per-sample statistics).
    var measuresNorms: Bool { get }
    /// |G_B|²: the squared norm of the last step's averaged gradient (of the clipped per-sample
    /// gradients, when clipping), before any noise; 0 unless the step was built to keep per-sample
    /// statistics (`measuresStatistics`: one more pass over the gradient, which clipping alone skips).
    var batchGradientSquaredNorm: Double { get }
    /// Whether the last step's `--reduce exact` met a finite value beyond its proven bound (a
    /// defect, reported as `TrainingError.exactOverflow`, never summed); false for other steps.
    var exactOverflow: Bool { get }
}

extension GradientEngine {
    var exactOverflow: Bool { false }

    /// The mean of `count` losses, summed in sample order in Double: what a step returns (0 for
    /// an empty batch, which Poisson sampling may draw).
    static func meanLoss(_ losses: UnsafePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return 0 }
        var sum = 0.0
        for r in 0..<count { sum += Double(losses[r]) }
        return Float(sum / Double(count))
    }
}
