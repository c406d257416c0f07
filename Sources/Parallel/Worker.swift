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
