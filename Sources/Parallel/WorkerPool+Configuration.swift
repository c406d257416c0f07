import Logging
#if canImport(Glibc)
import Glibc
#endif

extension WorkerPool {
    /// Loads this machine's topology, plans `threads` workers (nil: one per place) and starts
    /// them: the one-call way to get a pool from command-line options.
    ///
    /// A request that cannot be met (zero threads, more than the usable set without
    /// `oversubscribe`, a thread the system refuses) throws. A machine hwloc cannot describe does
    /// not: the pool then runs unpinned with one warning.
    public static func start(threads: Int?, bind: BindPolicy, places: PlaceKind, oversubscribe: Bool = false,
                             scratchBytes: Int = 0, logger: Logger = Logger(label: "thinned.parallel"))
        throws(PoolError) -> WorkerPool
    {
        let topology: Topology
        do {
            topology = try Topology()
        } catch {
            let plan: PlacementPlan
            do { plan = try unpinnedPlan(threads: threads, places: places, oversubscribe: oversubscribe) }
            catch let placement { throw .placement(placement) }
            if bind != .none {
                logger.warning("hwloc could not load this machine's topology (\(error)); \(plan.threads) workers run unpinned")
            }
            return try WorkerPool(plan: plan, topology: nil, scratchBytes: scratchBytes, logger: logger)
        }
        let plan: PlacementPlan
        do { plan = try topology.plan(threads: threads, bind: bind, places: places, oversubscribe: oversubscribe) }
        catch { throw .placement(error) }
        return try WorkerPool(plan: plan, topology: topology, scratchBytes: scratchBytes, logger: logger)
    }

    /// The plan used when hwloc is unavailable: as many workers as the OS says are online.
    static func unpinnedPlan(threads: Int?, places: PlaceKind, oversubscribe: Bool) throws(PlacementError) -> PlacementPlan {
        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let count = threads ?? online
        guard count >= 1 else { throw .zeroThreads }
        if count > online && !oversubscribe {
            throw .tooManyThreads(requested: count, available: online, places: .threads)
        }
        return .unpinned(threads: count, places: places, oversubscribed: count > online)
    }
}
