/// Where a worker really is, read back by the worker itself from inside the running pool.
public struct WorkerLocation: Equatable, Sendable {
    /// The worker's index in the pool, 0 ..< `WorkerPool.count`.
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
