/// Which executor runs a training step's tasks (`thinned scale --executor`).
public enum ExecutorKind: String, CaseIterable, Sendable, Codable {
    /// ``WorkerPool``: dedicated threads of the program's own, placed by a ``BindPolicy``.
    case pool
    /// ``DispatchExecutor``: GCD's threads through `DispatchQueue.concurrentPerform`, never pinned
    /// (a bind policy does not apply to them).
    case dispatch
}
