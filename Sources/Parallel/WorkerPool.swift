import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pool of workers, each bound to its place before it runs anything, used through two
/// fork–join verbs: `forEachTask` (a task list; the join waits for the tasks, not for every
/// worker) and `broadcast` (once on every worker; the join waits for all of them).
///
/// Worker 0 is the calling thread, as OpenMP's initial thread is its team's thread 0: it posts a
/// job, runs its part of it like any worker (its own share of a task list first), then waits for
/// the rest. Workers 1 ..< count are threads the pool owns (never GCD's shared ones: a binding
/// set on one of those would leak into unrelated work), so `count` workers are `count` threads,
/// and on a machine with as many CPUs as workers no thread waits for a CPU. Before, the pool
/// had a thread for every worker and the caller spun beside them: on the 16-core nodes the
/// caller's CPU was the 16th worker's, preempted 114–296 times a step; with the caller as
/// worker 0, under 0.4 (issue 11, alternating runs). A one-worker step is the caller alone, with
/// no hand-off; on the 2-core VM the two-worker W2 step ran 3.5 % faster.
///
/// The calling thread is bound to worker 0's place only inside `pinningCaller` (a training
/// epoch, a profiled run), and gets its own binding back afterwards; outside it, worker 0 runs
/// wherever the caller runs. A fork–join costs about a microsecond when the workers are spinning,
/// because workers spin briefly for the next job and then park — at once when they outnumber the
/// CPUs (see `PoolState`).
///
/// `@unchecked Sendable` is sound because every mutable field lives in `PoolState` under its
/// fork–join protocol, `broadcast` and `forEachTask` refuse (with a precondition) to run on two
/// threads at once, and so does `pinningCaller` for two scopes: a pool may be shared, but not
/// driven from two threads at the same time.
public final class WorkerPool: ForkJoinExecutor, @unchecked Sendable {
    /// The number of workers.
    public let count: Int
    /// The placement the pool was built with.
    public let plan: PlacementPlan
    /// How each worker's binding went, in worker order.
    public let bindings: [WorkerBinding]

    let state: PoolState

    /// Whether the workers take turns on the CPUs: more workers than places (`--oversubscribe`)
    /// or than the CPUs this process may use (its affinity mask, where no topology placed them).
    public var isCrowded: Bool { state.crowded }
    private var threads: [pthread_t] = []

    /// Starts one thread per worker of `plan` but the first (the calling thread), waits until
    /// each has bound itself (through `topology`) and allocated `scratchBytes` of scratch memory,
    /// allocates worker 0's on the calling thread (bound to worker 0's place meanwhile), and
    /// returns.
    ///
    /// Binding failures do not fail the pool: those workers run unpinned, and one warning says so.
    /// A thread or a scratch buffer the system refuses does: the workers already started are
    /// stopped and joined, and the error says how many had started and why.
    public init(plan: PlacementPlan, topology: Topology?, scratchBytes: Int = 0,
                logger: Logger = Logger(label: "thinned.parallel")) throws(PoolError) {
        precondition(plan.threads >= 1, "WorkerPool: a pool needs at least one worker, got \(plan.threads)")
        precondition(scratchBytes >= 0, "WorkerPool: scratchBytes must be >= 0, got \(scratchBytes)")
        precondition(plan.threads < 1 << 31, "WorkerPool: \(plan.threads) workers")
        self.count = plan.threads
        self.plan = plan
        let state = PoolState(plan: plan, topology: topology, scratchBytes: scratchBytes)
        self.state = state

        // The start-up is a broadcast: every started worker reports once, worker 0 too.
        state.remaining.store(count, ordering: .sequentiallyConsistent)
        var refused: Int32 = 0
        for index in 1..<count {
            let context = Unmanaged.passRetained(WorkerContext(state: state, index: index))
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.state.serve(worker: context.index)
                return nil
            }, context.toOpaque())
            guard status == 0 else {
                context.release()
                refused = status
                break
            }
            threads.append(thread)
        }
        let started = threads.count + 1
        if started < count { state.remaining.subtract(count - started, ordering: .sequentiallyConsistent) }
        state.startCaller()
        state.join()
        let startups = (0..<started).map { state.startups[$0]! }
        let failure: PoolError? = if started < count {
            .threadUnavailable(started: started, requested: count, errno: refused)
        } else if let worker = startups.firstIndex(where: { !$0.scratchAllocated }) {
            .scratchUnavailable(worker: worker, bytes: scratchBytes)
        } else { nil }
        if let failure {
            Self.stop(state, threads: threads)
            throw failure
        }
        self.bindings = startups.map(\.binding)

        if plan.oversubscribed {
            logger.warning("\(count) workers share fewer places (--oversubscribe): workers on the same place take turns")
        }
        let failed = bindings.filter(\.hasFailed)
        if let first = failed.first?.failure {
            logger.warning("could not pin \(failed.count) of \(count) workers (\(first)); they run unpinned")
        }
    }

    /// `threads` unpinned workers, without hwloc: for the pool's own tests, which check the pool
    /// apart from placement. Everyone else starts a pool with `start(threads:bind:places:…)`.
    convenience init(threads: Int, scratchBytes: Int = 0) throws(PoolError) {
        try self.init(plan: .unpinned(threads: threads), topology: nil, scratchBytes: scratchBytes)
    }

    deinit {
        Self.stop(state, threads: threads)
    }

    /// Tells every started worker to return, and joins them.
    private static func stop(_ state: PoolState, threads: [pthread_t]) {
        guard !threads.isEmpty else { return }
        state.post(kind: PoolState.Kind.stop)
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs `body(worker)` once on every worker, concurrently, and returns when all are done.
    /// It waits for every worker, so under oversubscription it costs a turn of each; a hot loop
    /// uses `forEachTask(_:of:)`, whose join waits only for the tasks.
    ///
    /// Handing over a closure costs one small heap allocation (the escape check of
    /// `withoutActuallyEscaping`); a hot loop uses `forEachTask(_:of:)`, which allocates nothing.
    ///
    /// Like `DispatchQueue.concurrentPerform`, the closure is not `@Sendable`: it runs on several
    /// threads at once, so it must write only to memory that is its worker's own or that it owns
    /// by a fixed partition (see `forEachChunk`). Memory the caller wrote before the call is
    /// visible to every worker, and what workers wrote is visible to the caller afterwards.
    ///
    /// Calling it from inside a job, or from two threads at once, is a programming error and
    /// stops the program rather than deadlock.
    public func broadcast(_ body: (Worker) -> Void) {
        precondition(
            state.inBroadcast.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged,
            "WorkerPool.broadcast: called while another broadcast on this pool is running (from a job, or from a second thread)")
        withoutActuallyEscaping(body) { body in
            state.job = body
            state.runCallerPart(of: state.post(kind: PoolState.Kind.broadcast))
            state.join()
            state.job = PoolState.noJob
        }
        state.inBroadcast.store(false, ordering: .releasing)
    }

    /// Runs `body(worker)` once on every worker and returns the results in worker order: the way
    /// to make per-worker state on the worker itself (first touch on its NUMA node).
    public func map<T>(_ body: (Worker) -> T) -> [T] {
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        broadcast { worker in slots[worker.index] = body(worker) }
        return slots.map { $0! }
    }

    /// Runs `body` with the calling thread — worker 0 of every job it posts — bound to worker
    /// 0's place, and gives the thread the binding it had back afterwards; nested calls bind
    /// once. Where the plan does not pin worker 0, or binding it failed when the pool started,
    /// it just runs `body`.
    ///
    /// The binding is set and restored around `body`, not per job: each costs a few system
    /// calls and an allocation inside hwloc, too many for every phase of a step. Use it around
    /// whole runs of steps (an epoch, a profiled run).
    ///
    /// One thread at a time: opening a scope on another thread while one is open stops the
    /// program, as driving the pool from two threads at once does.
    public func pinningCaller<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let me = PoolState.threadID()
        if state.callerPinOwner.load(ordering: .acquiring) == me { return try body() }
        let owned = state.callerPinOwner.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing).exchanged
        precondition(owned, "WorkerPool.pinningCaller: called from a second thread while another thread's scope is open")
        defer { state.callerPinOwner.store(0, ordering: .releasing) }
        var pinned = false
        if bindings[0].isPinned {
            do throws(TopologyError) { try state.pinCaller(); pinned = true } catch {}
        }
        defer { if pinned { state.unpinCaller() } }
        return try body()
    }

    /// Where every worker really is: each reads back its own binding and the PU it last ran on
    /// (worker 0, the calling thread, from inside `pinningCaller`). With no topology (or a
    /// synthetic one) only `requested` is filled in.
    public func locate() -> [WorkerLocation] {
        let topology = state.topology
        let plan = self.plan
        return pinningCaller { map { worker in
            WorkerLocation(worker: worker.index, requested: plan.workers[worker.index],
                           binding: try? topology?.currentThreadBinding(),
                           cpu: try? topology?.currentThreadLastCPU())
        } }
    }
}

/// What a new worker thread is handed: the shared state and its own number.
private final class WorkerContext: Sendable {
    let state: PoolState
    let index: Int
    init(state: PoolState, index: Int) { self.state = state; self.index = index }
}
