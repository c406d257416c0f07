/// A started pool and how its start went: the plan it runs, the topology the plan was made on,
/// whether its workers are pinned and, where the plan could not be carried out, why not.
/// `WorkerPool.start(threads:bind:places:oversubscribe:scratchBytes:topology:logger:)` makes it.
public struct PoolStart: Sendable {
    /// What the start could not do as planned: the topology could not be loaded (then nothing is
    /// planned, whatever the bind policy, and every worker runs unpinned), or binding was refused.
    public enum Fallback: Equatable, Sendable {
        /// hwloc could not load this machine's topology, so nothing could be planned; every worker
        /// runs unpinned, whatever the bind policy.
        case noTopology(TopologyError)
        /// `workers` workers the plan pins could not be bound; `reason` is the first one's error
        /// (`TopologyError.notThisSystem` for a synthetic or XML topology).
        case bindingFailed(workers: Int, reason: TopologyError)
    }

    /// The running pool.
    public let pool: WorkerPool
    /// The machine the plan was made on; nil when hwloc could not load it.
    public let topology: Topology?
    /// Why the plan is not (fully) carried out; nil when every worker it pins is pinned.
    public let fallback: Fallback?

    /// The placement the pool runs.
    public var plan: PlacementPlan { pool.plan }

    /// The number of workers bound where the plan put them (worker 0, the calling thread, inside
    /// `WorkerPool.pinningCaller`, its binding tried once at start-up).
    public var pinnedWorkers: Int { pool.bindings.filter(\.isPinned).count }

    /// True when every worker is bound where the plan put it (false for `--bind none`).
    public var isPinned: Bool { pinnedWorkers == pool.count }
}
