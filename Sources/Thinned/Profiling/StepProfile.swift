/// Where the time of a number of training steps went, per worker and per step.
///
/// Workers record how long they are busy in each phase of the step; the caller records the wall
/// time of every fork–join. What the workers were not busy inside a fork–join is *waiting*: the
/// imbalance between them plus the cost of forking and joining. What the caller spent outside
/// fork–joins is *serial*.
public struct StepProfile: Sendable, Codable, Equatable {
    /// The number of workers whose busy time is summed.
    public var workers: Int
    /// The number of training steps measured.
    public var steps = 0
    /// Wall time of the steps, on the calling thread.
    public var wallSeconds = 0.0
    /// Wall time inside fork–joins.
    public var forkJoinSeconds = 0.0
    /// Busy worker-seconds, summed over workers: the sample phase's forward pass.
    public var forwardSeconds = 0.0
    /// Busy worker-seconds: deltas of the layers below (and, in literal mode, the per-sample
    /// weight gradients).
    public var backwardSeconds = 0.0
    /// Busy worker-seconds: the parameter phase's weight-gradient products (literal mode: the
    /// in-order sum of the per-sample gradients).
    public var parameterSeconds = 0.0
    /// Busy worker-seconds: the optimizer's update.
    public var updateSeconds = 0.0
    /// Fork–joins run.
    public var forkJoins = 0

    /// An empty profile of a pool of `workers` workers.
    public init(workers: Int) { self.workers = workers }

    /// Per step and per worker, in seconds: (forward, backward, parameter, update, waiting, serial).
    public var perStep: (forward: Double, backward: Double, parameter: Double, update: Double, waiting: Double, serial: Double) {
        guard steps > 0 else { return (0, 0, 0, 0, 0, 0) }
        let scale = 1 / Double(steps * workers)
        let busy = forwardSeconds + backwardSeconds + parameterSeconds + updateSeconds
        return (forwardSeconds * scale, backwardSeconds * scale, parameterSeconds * scale, updateSeconds * scale,
                max(0, forkJoinSeconds * Double(workers) - busy) * scale,
                max(0, wallSeconds - forkJoinSeconds) / Double(steps))
    }
}
