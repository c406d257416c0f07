import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension WorkerPool {
    /// Plans `threads` workers (nil: one per place) with `bind` over places of kind `places` and
    /// starts them: the one way to start a pool, for the command line, the scaling study, the
    /// tests and the benchmarks alike. The result says what happened: the plan, the topology it
    /// was made on, and why workers run unpinned when they do.
    ///
    /// A request that cannot be met throws: zero threads, more workers than the usable set holds
    /// without `oversubscribe` (`PoolError.placement`), a thread or scratch buffer the system
    /// refuses. Hardware that cannot be pinned degrades instead, in one of two ways:
    ///
    /// - hwloc cannot load the topology: the plan is `PlacementPlan.unpinned`, with one worker per
    ///   online CPU when `threads` is nil (more only with `oversubscribe`), and the fallback is
    ///   `.noTopology`. When the topology was loaded here and `bind` asked for pinning, one
    ///   warning says so; a failure handed in through `topology` is the caller's to report.
    /// - binding is refused (by the OS, or because the topology is synthetic): those workers run
    ///   unpinned, `init(plan:topology:scratchBytes:logger:)` warns once, and the fallback is
    ///   `.bindingFailed`.
    ///
    /// - Parameters:
    ///   - threads: how many workers; nil for one per place of the usable set.
    ///   - bind: where workers go: close together, spread out, or unpinned.
    ///   - places: what one worker is bound to: a whole core, or one hardware thread.
    ///   - oversubscribe: whether more workers than places are allowed.
    ///   - scratchBytes: the size of each worker's own scratch buffer, allocated by that worker.
    ///   - topology: the machine to plan on, as loaded once by a caller that starts several
    ///     pools, or why hwloc could not load it; nil loads it now.
    ///   - logger: where the warnings of a degraded start go.
    public static func start(threads: Int?, bind: BindPolicy, places: PlaceKind, oversubscribe: Bool = false,
                             scratchBytes: Int = 0, topology: Result<Topology, TopologyError>? = nil,
                             logger: Logger = Logger(label: "thinned.parallel"))
        throws(PoolError) -> PoolStart
    {
        switch topology ?? Topology.load() {
        case let .success(machine):
            let plan: PlacementPlan
            do { plan = try machine.plan(threads: threads, bind: bind, places: places, oversubscribe: oversubscribe) }
            catch { throw .placement(error) }
            let pool = try WorkerPool(plan: plan, topology: machine, scratchBytes: scratchBytes, logger: logger)
            let failed = pool.bindings.filter(\.hasFailed)
            let fallback = failed.first?.failure.map { PoolStart.Fallback.bindingFailed(workers: failed.count, reason: $0) }
            return PoolStart(pool: pool, topology: machine, fallback: fallback)
        case let .failure(error):
            let plan: PlacementPlan
            do { plan = try unpinnedPlan(threads: threads, places: places, oversubscribe: oversubscribe) }
            catch { throw .placement(error) }
            if topology == nil && bind != .none {
                logger.warning("hwloc could not load this machine's topology (\(error)); \(plan.threads) workers run unpinned")
            }
            let pool = try WorkerPool(plan: plan, topology: nil, scratchBytes: scratchBytes, logger: logger)
            return PoolStart(pool: pool, topology: nil, fallback: .noTopology(error))
        }
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
