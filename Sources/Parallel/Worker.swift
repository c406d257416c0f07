/// One worker of a `WorkerPool`, as the job running on it sees it.
public struct Worker {
    /// This worker's number, `0 ..< count`. Work must never be *partitioned* by it (see the
    /// determinism contract); it only picks the worker's own scratch and result slots.
    public let index: Int
    /// The number of workers in the pool.
    public let count: Int
    /// This worker's scratch memory: allocated by the worker itself after it was bound, and first
    /// touched there, so it lives on the worker's NUMA node. 64-byte aligned; zeroed once.
    public let scratch: UnsafeMutableRawBufferPointer
}

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

/// Where a worker really is, read back by the worker itself from inside the running pool.
public struct WorkerLocation: Equatable, Sendable {
    public let worker: Int
    /// The PUs the plan asked for; nil when the worker is not pinned.
    public let requested: CPUSet?
    /// The thread's binding as the OS reports it (`hwloc_get_cpubind`); nil when it cannot be read.
    public let binding: CPUSet?
    /// The PU the thread last ran on (`hwloc_get_last_cpu_location`); nil when it cannot be read.
    public let cpu: Int?

    /// True when the worker was asked to be pinned, its binding is exactly the plan, and it ran
    /// inside it.
    public var isVerified: Bool {
        guard let requested, let binding, let cpu else { return false }
        return binding == requested && requested.contains(cpu)
    }
}
