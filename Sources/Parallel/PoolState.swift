import CSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The state a `WorkerPool` shares with its threads, and the fork–join protocol over it.
///
/// Protocol: the caller stores the job, sets `pending` to the worker count and bumps
/// `generation`; each worker sees the new generation, runs the job, and decrements `pending`;
/// the caller returns when `pending` is 0. Waiting on either side spins briefly, then parks on
/// a condition variable. Lost wake-ups are excluded Dekker-style: a sleeper publishes its flag
/// (`sleepingWorkers`, `callerSleeping`) under the mutex *before* re-checking the condition, and
/// a waker changes the condition *before* reading the flag, all sequentially consistent.
///
/// `@unchecked Sendable` is sound because the only non-atomic mutable state, `job`, `tasks`,
/// `taskCount`, `stopping` and the per-worker slots, is written by the caller only while no worker reads it (before the
/// store to `generation` that publishes it, or after `pending` reached 0), and each worker writes
/// only its own slot.
final class PoolState: @unchecked Sendable {
    let count: Int
    let plan: PlacementPlan
    let topology: Topology?
    let scratchBytes: Int

    let generation = Atomic<UInt64>(0)
    let pending = Atomic<Int>(0)
    let nextChunk = Atomic<Int>(0)
    let sleepingWorkers = Atomic<Int>(0)
    let callerSleeping = Atomic<Bool>(false)
    let inBroadcast = Atomic<Bool>(false)

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let workDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The running job. A plain (non-optional) function type: an optional one would be
    /// reabstracted — a heap-allocated thunk — on every store and every call.
    var job: (Worker) -> Void = PoolState.noJob
    static func noJob(_: Worker) {}
    /// The running task list, when the job is one (`forEachTask`), and its length.
    var tasks: (any WorkerTasks)?
    var taskCount = 0
    var stopping = false
    /// Slot `i` is written by worker `i` at start-up, read by the caller once `pending` is 0.
    let bindings: UnsafeMutableBufferPointer<WorkerBinding?>

    /// How long a worker spins for the next job before it parks. A training step forks several
    /// times per millisecond, so a worker that parked between two of them would pay a wake-up
    /// (several microseconds) each time.
    static let workerSpinNanoseconds: UInt64 = 200_000
    /// How long the caller spins for the join before it parks. Shorter: the caller is not pinned
    /// and may share a core with a worker, so it yields the core while it spins.
    static let callerSpinNanoseconds: UInt64 = 50_000

    init(plan: PlacementPlan, topology: Topology?, scratchBytes: Int) {
        self.count = plan.threads
        self.plan = plan
        self.topology = topology
        self.scratchBytes = scratchBytes
        self.bindings = .allocate(capacity: plan.threads)
        bindings.initialize(repeating: nil)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workAvailable, nil)
        pthread_cond_init(workDone, nil)
    }

    deinit {
        pthread_cond_destroy(workDone)
        pthread_cond_destroy(workAvailable)
        pthread_mutex_destroy(mutex)
        workDone.deallocate()
        workAvailable.deallocate()
        mutex.deallocate()
        bindings.deallocate()
    }

    // MARK: Worker side

    /// The body of worker thread `index`: bind, allocate scratch, then serve jobs until stopped.
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
        bindings[index] = WorkerBinding(requested: requested, failure: failure)

        // After binding, so that first touch places the pages on this worker's NUMA node.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchBytes, alignment: 64)
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
        defer { scratch.deallocate() }
        let worker = Worker(index: index, count: count, scratch: scratch)

        finishOne()
        var seen: UInt64 = 0
        while true {
            seen = waitForWork(after: seen)
            if stopping { return }
            run(worker)
            finishOne()
        }
    }

    @inline(never)
    private func run(_ worker: Worker) {
        if let tasks {
            while true {
                let task = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
                if task >= taskCount { return }
                tasks.run(task: task, on: worker)
            }
        } else {
            job(worker)
        }
    }

    private func waitForWork(after seen: UInt64) -> UInt64 {
        if let next = spin(nanoseconds: Self.workerSpinNanoseconds, yieldEvery: 16, until: {
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

    private func finishOne() {
        let left = pending.subtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0 && callerSleeping.load(ordering: .sequentiallyConsistent) {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(workDone)
            pthread_mutex_unlock(mutex)
        }
    }

    // MARK: Caller side

    /// Publishes the current `job` (or `stopping`) to every worker.
    func post() {
        pending.store(count, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepingWorkers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(workAvailable)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Returns once every worker has finished the posted job.
    func join() {
        if spin(nanoseconds: Self.callerSpinNanoseconds, yieldEvery: 1, until: {
            pending.load(ordering: .acquiring) == 0 ? true : nil
        }) != nil { return }
        pthread_mutex_lock(mutex)
        callerSleeping.store(true, ordering: .sequentiallyConsistent)
        while pending.load(ordering: .sequentiallyConsistent) != 0 {
            pthread_cond_wait(workDone, mutex)
        }
        callerSleeping.store(false, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }

    /// Polls `condition` with a spin-wait hint between polls, yielding the core every
    /// `yieldEvery` polls, for at most `nanoseconds`; returns its first non-nil value.
    private func spin<T>(nanoseconds: UInt64, yieldEvery: Int, until condition: () -> T?) -> T? {
        let deadline = Self.now() + nanoseconds
        var polls = 0
        while true {
            if let value = condition() { return value }
            thinned_cpu_relax()
            polls += 1
            if polls % yieldEvery == 0 {
                sched_yield()
                if Self.now() >= deadline { return nil }
            }
        }
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
