/// How one worker's binding went when the pool started.
public struct WorkerBinding: Equatable, Sendable {
    /// The PUs the plan asked for; nil when the plan does not pin this worker.
    public let requested: CPUSet?
    /// Why binding failed; nil when it succeeded or was not asked for.
    public let failure: TopologyError?

    /// True when the worker was asked to be pinned and is.
    public var isPinned: Bool { requested != nil && failure == nil }
    /// True when the worker was asked to be pinned and could not be: it runs unpinned.
    public var hasFailed: Bool { requested != nil && failure != nil }
}
