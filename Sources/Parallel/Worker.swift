/// One worker of a `WorkerPool` (or of a `DispatchExecutor`), as the job running on it sees it.
public struct Worker {
    /// This worker's number, `0 ..< count`. Work must never be *partitioned* by it (see the
    /// determinism contract); it only picks the worker's own scratch and result slots.
    public let index: Int
    /// The number of workers in the pool.
    public let count: Int
    /// This worker's scratch memory, 64-byte aligned and zeroed once. A pool's worker allocated it
    /// itself after it was bound, and first touched it there, so it lives on the worker's NUMA
    /// node; a `DispatchExecutor`'s is allocated by its `init` on the calling thread.
    public let scratch: UnsafeMutableRawBufferPointer
}
