import CSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state a `WorkerPool` shares with its threads, and the fork–join protocol over it.
///
/// Worker 0 is the calling thread: it posts a job, runs its part of it (`runCallerPart`: the
/// broadcast's body, or tasks claimed exactly as a worker thread claims them, its own share
/// first), then waits in `join` for what the threads of workers 1 ..< count still run.
///
/// Protocol. Every job has a sequence number `s` (64 bits, never wraps). The caller writes the job
/// (`job` or `tasks`), `remaining` and the job's kind in slot `s & 1` (`kind0`, `kind1`), sets every
/// worker's share counter to `(s mod 2³²) << 32 | the share's first task`, then publishes
/// `generation = s`; workers wait (spin, then park) for `generation` to change. There are two
/// kinds of job:
///
/// - A *task list* (`forEachTask`, `forEachChunk`): `remaining` is the number of tasks, split into
///   one contiguous share per worker (`WorkerPool.share`'s split). A worker claims task `i` of a
///   share by a compare-and-swap of the share's whole counter from `s << 32 | i` to
///   `s << 32 | i + 1` (`s` mod 2³²), runs it, and decrements `remaining`: its own share first,
///   then, when that is empty, from the front of the others' in turn. So uneven tasks balance
///   as with one shared counter, while a task list that is the same every step (a training
///   step's phases) gives each worker mostly the same tasks every time, and the data they write
///   stays in its cache: on the development VM the 2-worker W1 step's tasks ran 1.04–1.24× their
///   one-worker time, against 1.13–1.48× with one shared counter (issue 11). Which worker runs a
///   task still varies, so a result must depend only on the task. The join returns when
///   `remaining` is 0 — when the *tasks* are done, whichever workers ran them: a worker that is
///   descheduled, or wakes late, holds nothing up (its share is taken by the others). A late
///   worker cannot harm a newer job: its claim carries the sequence number it saw, so once the
///   counters have moved on the swap fails; and a claim that succeeds pins job `s` (its task is
///   not done), so the caller cannot replace `tasks` under it.
/// - A *broadcast* (`broadcast`, `map`, `locate`, start-up and stop): `remaining` is the number of
///   workers, and each runs the job once and decrements it. Such a job cannot finish without
///   every worker, so a worker can only ever skip task lists. A worker re-reads `generation`
///   after reading the kind, so a kind read from a slot already reused for job `s + 2` is never acted on.
///
/// Waiting on either side spins briefly, then parks on a condition variable. Lost wake-ups are
/// excluded Dekker-style: a sleeper publishes its flag (`sleepingWorkers`, `callerSleeping`)
/// under the mutex *before* re-checking the condition, and a waker changes the condition *before*
/// reading the flag, all sequentially consistent. For a task list the caller wakes no more
/// sleepers than there are tasks beside the one it takes itself, nor than there are CPUs beside
/// its own (the caller alone drains any list: it visits every share); a broadcast wakes them
/// all. When workers outnumber the CPUs the process may use, workers do not spin at all (a
/// spinning worker would take the core from one with work).
///
/// `@unchecked Sendable` is sound because the only non-atomic mutable state, `job`, `tasks` and
/// the per-worker slots, is written by the caller only while no worker reads it (before the
/// `generation` store that publishes it, or after `remaining` reached 0), and each worker writes
/// only its own slot; `caller` and its scratch are written once, by the thread that starts the
/// pool, before the start-up join returns, and read only by threads driving the pool after it;
/// the caller's binding is saved and restored only by the thread that owns `callerPinOwner`, or
/// by the thread starting the pool, in `startCaller`, before anyone else can use it.
final class PoolState: @unchecked Sendable {
    let count: Int
    let plan: PlacementPlan
    let topology: Topology?
    let scratchBytes: Int

    /// The sequence number of the latest job: what workers wait on.
    let generation = Atomic<UInt64>(0)
    /// Worker `w`'s share of the task list being served, at `shares[w * shareStride]` (a cache
    /// line each): `(sequence mod 2³²) << 32 | its next task`. Share `w` is the contiguous range
    /// `WorkerPool.share(of: 0 ..< n, part: w, of: count)` of the list's `n` tasks.
    let shares: UnsafeMutablePointer<Atomic<UInt64>>
    static let shareStride = 8
    /// Tasks (or, for a broadcast, workers) not yet done with the current job.
    let remaining = Atomic<Int>(0)
    /// The kind of job `s`, in slot `s & 1`: `Kind.broadcast`, `Kind.stop` or a task count ≥ 0.
    let kind0 = Atomic<Int>(0), kind1 = Atomic<Int>(0)
    let sleepingWorkers = Atomic<Int>(0)
    let callerSleeping = Atomic<Bool>(false)
    let inBroadcast = Atomic<Bool>(false)
    /// The thread whose `pinningCaller` scope is open (`PoolState.threadID`), 0 when none is:
    /// a scope opened by that thread again is nested and binds nothing; one opened by another
    /// thread meanwhile stops the program, as driving the pool from two threads at once does.
    let callerPinOwner = Atomic<UInt>(0)

    /// The calling thread's identity, never 0.
    static func threadID() -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    enum Kind {
        static let broadcast = -1
        static let stop = -2
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let workDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The running broadcast. A plain (non-optional) function type: an optional one would be
    /// reabstracted — a heap-allocated thunk — on every store and every call.
    var job: (Worker) -> Void = PoolState.noJob
    static func noJob(_: Worker) {}
    /// The running task list, when the job is one.
    var tasks: (any WorkerTasks)?
    /// Called by worker `i` each time it wakes for a job, before it looks at it; set before the
    /// first job and never changed. Tests use it to make a worker late.
    var wakeHook: ((Int) -> Void)?
    /// Called by worker `i` between reading a share's counter (and the task count) and its
    /// compare-and-swap, for every claim; set before the first job and never changed. Tests use it
    /// to stall a worker there while the job ends and newer ones begin.
    var claimHook: ((Int) -> Void)?
    /// Slot `i` is written by worker `i` at start-up, read by the caller once the start-up join
    /// returned.
    let startups: UnsafeMutableBufferPointer<WorkerStartup?>

    /// How long a worker spins for the next job before it parks. A training step forks several
    /// times per millisecond, so a worker that parked between two of them would pay a wake-up
    /// (several microseconds) each time. Zero when workers outnumber the CPUs (see `init`).
    let workerSpinNanoseconds: UInt64
    /// How long the caller, its own part done, spins for the join before it parks (yielding as
    /// `callerYieldEvery` says); parking costs a wake-up at every join. Long enough to span a
    /// phase of a training step:
    /// with 50 µs the caller parked in almost every phase of the W1 step, and waking it took
    /// ~50 µs a join on the development VM (0.67 ms of waiting per 8.5 ms step at 1 worker;
    /// 0.17 ms with 2 ms).
    static let callerSpinNanoseconds: UInt64 = 2_000_000
    /// The spin of a worker that has a CPU of its own.
    static let workerSpinNanosecondsAlone: UInt64 = 200_000
    /// The CPUs this process may run on (its affinity mask), when it could be read.
    let usableCPUs: Int
    /// More workers than places (`--oversubscribe`) or than the CPUs this process may use: the
    /// workers take turns on the CPUs.
    let crowded: Bool
    /// How often the caller yields its CPU while it spins for a join: at every poll when workers
    /// outnumber the CPUs (it may share one with a worker that has tasks left), otherwise every
    /// 16th, as a worker does.
    let callerYieldEvery: Int

    /// Worker 0, which is the calling thread: set by `startCaller` before the first job.
    private(set) var caller = Worker(index: 0, count: 0, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0))
    private var callerScratch: UnsafeMutableRawPointer?
    /// Worker 0's place, and room for the caller's own binding while it is pinned there (nil
    /// when the plan does not pin worker 0, or there is no topology).
    private let callerBinding: CallerBinding?

    init(plan: PlacementPlan, topology: Topology?, scratchBytes: Int, spinNanoseconds: UInt64? = nil) {
        self.count = plan.threads
        self.plan = plan
        self.topology = topology
        self.scratchBytes = scratchBytes
        let cpus = Int(thinned_usable_cpu_count())
        self.usableCPUs = cpus > 0 ? cpus : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        crowded = plan.oversubscribed || plan.threads > usableCPUs
        self.workerSpinNanoseconds = spinNanoseconds ?? (crowded ? 0 : Self.workerSpinNanosecondsAlone)
        self.callerYieldEvery = crowded ? 1 : 16
        self.callerBinding = if let place = plan.workers[0], let topology {
            CallerBinding(place: place, topology: topology)
        } else {
            nil
        }
        // 64-byte aligned, so that every share counter has a cache line of its own.
        self.shares = UnsafeMutableRawPointer.allocate(byteCount: plan.threads * Self.shareStride * 8, alignment: 64)
            .bindMemory(to: Atomic<UInt64>.self, capacity: plan.threads * Self.shareStride)
        for i in 0..<(plan.threads * Self.shareStride) { (shares + i).initialize(to: Atomic(0)) }
        self.startups = .allocate(capacity: plan.threads)
        startups.initialize(repeating: nil)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workAvailable, nil)
        pthread_cond_init(workDone, nil)
    }

    deinit {
        free(callerScratch)
        pthread_cond_destroy(workDone)
        pthread_cond_destroy(workAvailable)
        pthread_mutex_destroy(mutex)
        workDone.deallocate()
        workAvailable.deallocate()
        mutex.deallocate()
        startups.deallocate()
        shares.deinitialize(count: count * Self.shareStride)
        shares.deallocate()
    }

    private func kind(of sequence: UInt64) -> Int {
        sequence & 1 == 0
            ? kind0.load(ordering: .sequentiallyConsistent) : kind1.load(ordering: .sequentiallyConsistent)
    }

    // MARK: Worker side

    /// The body of worker thread `index` (1 ..< count; worker 0 is the calling thread): bind,
    /// allocate scratch, report, then serve jobs until stopped. A worker whose scratch cannot be
    /// had reports it and waits for the stop.
    func serve(worker index: Int) {
        thinned_name_current_thread("thinned-w\(index)")

        let requested = plan.workers[index]
        var failure: TopologyError? = nil
        if let requested {
            do throws(TopologyError) {
                guard let topology else { throw .notThisSystem }
                try topology.bindCurrentThread(to: requested)
            } catch { failure = error }
        }
        // Every task runs with denormals flushed to zero (`ForkJoinExecutor`).
        _ = thinned_flush_denormals()
        // After binding, so that first touch places the pages on this worker's NUMA node.
        let scratch = allocateScratch()
        defer { free(scratch.baseAddress) }
        startups[index] = WorkerStartup(binding: WorkerBinding(requested: requested, failure: failure),
                                        scratchAllocated: scratch.baseAddress != nil)
        let worker = Worker(index: index, count: count, scratch: scratch)

        finishOne()   // the start-up join is a broadcast
        var seen: UInt64 = 0
        while true {
            let sequence = waitForWork(after: seen)
            wakeHook?(index)
            let kind = kind(of: sequence)
            if kind < 0 {
                // A kind read from a slot reused for job `sequence + 2` is stale: look again.
                guard generation.load(ordering: .sequentiallyConsistent) == sequence else { continue }
                if kind == Kind.stop { return }
                job(worker)
                finishOne()
            } else {
                runTasks(of: sequence & 0xFFFF_FFFF, kindSlot: sequence, on: worker)
            }
            seen = sequence
        }
    }

    /// Claims and runs tasks of job `sequence` (mod 2³², as in the share counters) until no share
    /// has any left or the counters have moved on to a newer job.
    /// `afterEach` runs after every task this thread ran: the caller's `whileWaiting`.
    @inline(never)
    func runTasks(of sequence: UInt64, kindSlot: UInt64, on worker: Worker, afterEach: () -> Void = {}) {
        // Its own share first, then the others' in turn, each from its front.
        for offset in 0..<count {
            let owner = (worker.index + offset) % count
            let share = shares + owner * Self.shareStride
            var current = share.pointee.load(ordering: .acquiring)
            while true {
                // The job has moved on: nothing of it is left for this worker anywhere.
                guard current >> 32 == sequence else { return }
                let task = Int(current & 0xFFFF_FFFF)
                // The count may have been read from a slot that job `sequence + 2` reuses only if
                // the claim below fails.
                let n = kind(of: kindSlot)
                guard n >= 0, task < Self.shareEnd(owner, of: count, tasks: n) else { break }
                claimHook?(worker.index)
                let claim = share.pointee.compareExchange(expected: current, desired: current + 1,
                                                          ordering: .acquiringAndReleasing)
                guard claim.exchanged else { current = claim.original; continue }
                tasks.unsafelyUnwrapped.run(task: task, on: worker)
                finishOne()
                afterEach()
                current = share.pointee.load(ordering: .acquiring)
            }
        }
    }

    /// The end of worker `w`'s share of `n` tasks among `workers` (`WorkerPool.share`'s split).
    @inline(__always)
    static func shareEnd(_ w: Int, of workers: Int, tasks n: Int) -> Int {
        (w + 1) * (n / workers) + min(w + 1, n % workers)
    }

    private func waitForWork(after seen: UInt64) -> UInt64 {
        if workerSpinNanoseconds > 0, let next = spin(nanoseconds: workerSpinNanoseconds, yieldEvery: 16, until: {
            let next = generation.load(ordering: .acquiring)
            return next != seen ? next : nil
        }) { return next }
        pthread_mutex_lock(mutex)
        sleepingWorkers.add(1, ordering: .sequentiallyConsistent)
        var next = generation.load(ordering: .sequentiallyConsistent)
        while next == seen {
            pthread_cond_wait(workAvailable, mutex)
            next = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepingWorkers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        return next
    }

    /// One task (or one worker's part of a broadcast) is done; the last one wakes the caller.
    func finishOne() {
        let left = remaining.subtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0 && callerSleeping.load(ordering: .sequentiallyConsistent) {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(workDone)
            pthread_mutex_unlock(mutex)
        }
    }

    // MARK: Caller side

    /// Publishes a task list of `taskCount` tasks (`tasks` set), a broadcast (`job` set; kind
    /// `Kind.broadcast`) or the stop (`Kind.stop`), wakes parked workers that it needs, and
    /// returns the job's sequence number.
    @discardableResult
    func post(kind: Int) -> UInt64 {
        let sequence = generation.load(ordering: .relaxed) + 1
        if kind != Kind.stop { remaining.store(kind == Kind.broadcast ? count : kind, ordering: .sequentiallyConsistent) }
        if sequence & 1 == 0 {
            kind0.store(kind, ordering: .sequentiallyConsistent)
        } else {
            kind1.store(kind, ordering: .sequentiallyConsistent)
        }
        let tag = (sequence & 0xFFFF_FFFF) << 32
        for w in 0..<count {
            let start = kind >= 0 ? (w == 0 ? 0 : Self.shareEnd(w - 1, of: count, tasks: kind)) : 0
            shares[w * Self.shareStride].store(tag | UInt64(start), ordering: .sequentiallyConsistent)
        }
        generation.store(sequence, ordering: .sequentiallyConsistent)
        let sleepers = sleepingWorkers.load(ordering: .sequentiallyConsistent)
        guard sleepers > 0 else { return sequence }
        pthread_mutex_lock(mutex)
        if kind < 0 {
            pthread_cond_broadcast(workAvailable)
        } else {
            // The caller takes a task itself, and spinning workers claim tasks too; parked ones
            // beyond the other tasks (or the other CPUs) would only wake to find nothing left.
            for _ in 0..<min(sleepers, kind - 1, usableCPUs - 1) { pthread_cond_signal(workAvailable) }
        }
        pthread_mutex_unlock(mutex)
        return sequence
    }

    /// The calling thread's part of job `sequence`, as worker 0: the broadcast's body once, or
    /// tasks of the list, its own share first. Denormals are flushed while it runs them, as on
    /// every worker, and the caller's own mode is restored.
    func runCallerPart(of sequence: UInt64) {
        let mode = thinned_flush_denormals()
        defer { thinned_set_float_mode(mode) }
        if kind(of: sequence) == Kind.broadcast {
            job(caller)
            finishOne()
        } else {
            runTasks(of: sequence & 0xFFFF_FFFF, kindSlot: sequence, on: caller)
        }
    }

    /// The same for task list `sequence` (never a broadcast), running `afterEach` after each
    /// task, in the caller's own floating-point mode (the tasks run with denormals flushed).
    func runCallerPart(of sequence: UInt64, afterEach: () -> Void) {
        let mode = thinned_flush_denormals()
        defer { thinned_set_float_mode(mode) }
        runTasks(of: sequence & 0xFFFF_FFFF, kindSlot: sequence, on: caller) {
            thinned_set_float_mode(mode)
            afterEach()
            _ = thinned_flush_denormals()
        }
    }

    /// Worker 0's start-up, on the calling thread: allocates its scratch (after binding the
    /// thread to worker 0's place, when the plan pins it, so that the first touch puts the memory
    /// there; the caller's own binding is restored afterwards) and reports like a worker thread.
    func startCaller() {
        var failure: TopologyError? = nil
        let requested = plan.workers[0]
        if requested != nil {
            do throws(TopologyError) { try pinCaller() } catch { failure = error }
        }
        let scratch = allocateScratch()
        if requested != nil && failure == nil { unpinCaller() }
        callerScratch = scratch.baseAddress
        caller = Worker(index: 0, count: count, scratch: scratch)
        startups[0] = WorkerStartup(binding: WorkerBinding(requested: requested, failure: failure),
                                    scratchAllocated: scratch.baseAddress != nil)
        finishOne()
    }

    /// `scratchBytes` of zeroed, 64-byte aligned memory, first touched by the calling thread (a
    /// worker's, once bound); an empty buffer with no base address when the system refuses it.
    /// The caller frees its base address.
    private func allocateScratch() -> UnsafeMutableRawBufferPointer {
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, 64, max(1, scratchBytes)) == 0, let raw else {
            return UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
        memset(raw, 0, max(1, scratchBytes))
        return UnsafeMutableRawBufferPointer(start: raw, count: scratchBytes)
    }

    /// Binds the calling thread to worker 0's place, keeping its binding for `unpinCaller`.
    func pinCaller() throws(TopologyError) {
        guard let callerBinding else { throw .notThisSystem }
        try callerBinding.pin()
    }

    /// Gives the calling thread back the binding `pinCaller` found.
    func unpinCaller() { callerBinding?.restore() }

    /// Returns once the posted job is done: every task of a task list, every worker of a
    /// broadcast.
    func join() {
        if spin(nanoseconds: Self.callerSpinNanoseconds, yieldEvery: callerYieldEvery, until: {
            remaining.load(ordering: .acquiring) == 0 ? true : nil
        }) != nil { return }
        pthread_mutex_lock(mutex)
        callerSleeping.store(true, ordering: .sequentiallyConsistent)
        while remaining.load(ordering: .sequentiallyConsistent) != 0 {
            pthread_cond_wait(workDone, mutex)
        }
        callerSleeping.store(false, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }

    /// Runs `whileWaiting` between polls of the job, yielding the core after each run (the
    /// workers come first), until the job is done or it returns false; then `join` waits for the
    /// rest as usual.
    func join(whileWaiting: () -> Bool) {
        while remaining.load(ordering: .acquiring) != 0 {
            guard whileWaiting() else { return }
            sched_yield()
        }
    }

    /// Polls `condition` with a spin-wait hint between polls, yielding the core every
    /// `yieldEvery` polls, for at most `nanoseconds`; returns its first non-nil value.
    private func spin<T>(nanoseconds: UInt64, yieldEvery: Int, until condition: () -> T?) -> T? {
        let deadline = Clock.nanoseconds() + nanoseconds
        var polls = 0
        while true {
            if let value = condition() { return value }
            thinned_cpu_relax()
            polls += 1
            if polls % yieldEvery == 0 {
                sched_yield()
                if Clock.nanoseconds() >= deadline { return nil }
            }
        }
    }
}

/// What a worker reports once it has started: how its binding went and whether its scratch
/// memory could be had.
struct WorkerStartup {
    let binding: WorkerBinding
    let scratchAllocated: Bool
}
