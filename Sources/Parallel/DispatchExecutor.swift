import CSupport
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fork–join executor on GCD's own thread pool (`DispatchQueue.concurrentPerform`): the
/// comparison that `thinned scale --executor dispatch` and the benchmarks measure the pinned
/// ``WorkerPool`` against. The program itself always runs on the pool (README, "Why our own pool").
///
/// A task list of `n` tasks is one `concurrentPerform` of `min(count, n)` iterations. Iteration
/// `i` acts as worker `i`: it claims task indices from a shared atomic counter until none is left,
/// and runs them with worker `i`'s scratch. GCD decides which of its threads run the iterations
/// (the calling thread is one of them) and never pins them: no ``BindPolicy`` applies, and a
/// binding set on one of GCD's shared threads would leak into unrelated work.
///
/// Determinism: the executor decides only who runs a task, so a caller whose tasks are fixed by
/// its data gets the same bits as on a ``WorkerPool`` of any size.
///
/// `@unchecked Sendable` is sound because the scratch buffers are fixed at `init` and buffer `i`
/// is used only by iteration `i`, which never runs twice at once; the task counter is atomic; and
/// `forEachTask` and `map` refuse (with a precondition) to run twice at once.
public final class DispatchExecutor: ForkJoinExecutor, @unchecked Sendable {
    /// The number of workers: the iterations of one `concurrentPerform`, not GCD's threads (GCD
    /// runs at most one iteration per CPU at a time, and the rest after them).
    public let count: Int
    /// The size of each worker's scratch buffer, in bytes.
    public let scratchBytes: Int

    /// Worker `i`'s scratch: 64-byte aligned, zeroed once, allocated by `init` on the calling
    /// thread (GCD's threads are not pinned, so there is no node to first-touch it on).
    private let scratch: [UnsafeMutableRawBufferPointer]
    private let allocations: [UnsafeMutableRawPointer]
    /// The next task of the running task list.
    private let next = Atomic<Int>(0)
    /// Set while a task list or a `map` runs.
    private let running = Atomic<Bool>(false)

    /// An executor of `workers` workers, each with `scratchBytes` of its own scratch memory.
    /// Starts no thread: GCD's are shared by the whole process and started by GCD on demand.
    /// Throws `PoolError.scratchUnavailable` when a scratch buffer cannot be allocated.
    public init(workers: Int, scratchBytes: Int = 0) throws(PoolError) {
        precondition(workers >= 1, "DispatchExecutor: an executor needs at least one worker, got \(workers)")
        precondition(scratchBytes >= 0, "DispatchExecutor: scratchBytes must be >= 0, got \(scratchBytes)")
        var allocations: [UnsafeMutableRawPointer] = []
        for worker in 0..<workers {
            var raw: UnsafeMutableRawPointer? = nil
            guard posix_memalign(&raw, 64, max(1, scratchBytes)) == 0, let raw else {
                for allocation in allocations { free(allocation) }
                throw .scratchUnavailable(worker: worker, bytes: scratchBytes)
            }
            memset(raw, 0, max(1, scratchBytes))
            allocations.append(raw)
        }
        self.count = workers
        self.scratchBytes = scratchBytes
        self.allocations = allocations
        self.scratch = allocations.map { UnsafeMutableRawBufferPointer(start: $0, count: scratchBytes) }
    }

    deinit {
        for allocation in allocations { free(allocation) }
    }

    /// Runs `tasks.run(task: i, on:)` for every `i` in `0 ..< count`, each exactly once, on
    /// `min(self.count, count)` iterations of `DispatchQueue.concurrentPerform`, and returns when
    /// all are done. Like the pool's, the join waits for the tasks, not for every thread: an
    /// iteration GCD starts late finds no task left.
    public func forEachTask(_ count: Int, of tasks: any WorkerTasks) {
        precondition(count >= 0, "DispatchExecutor.forEachTask: count must be >= 0, got \(count)")
        guard count > 0 else { return }
        enter("forEachTask")
        defer { leave() }
        // Relaxed: the counter only hands out indices (each exactly once, whatever the order);
        // what the tasks read and write is ordered by `concurrentPerform` itself, which publishes
        // the caller's memory to every iteration and returns after all of them.
        next.store(0, ordering: .relaxed)
        let workers = self.count
        // `concurrentPerform` takes a `@Sendable` closure. A task list is made to be run from
        // several threads at once (each task once, see `WorkerTasks`), as on the pool.
        nonisolated(unsafe) let tasks = tasks
        DispatchQueue.concurrentPerform(iterations: min(workers, count)) { index in
            // Denormals flushed for the tasks (`ForkJoinExecutor`), and the thread's own mode back
            // after them: GCD's threads, the caller's among them, run other work too.
            let mode = thinned_flush_denormals()
            defer { thinned_set_float_mode(mode) }
            let worker = Worker(index: index, count: workers, scratch: scratch[index])
            while true {
                let task = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard task < count else { return }
                tasks.run(task: task, on: worker)
            }
        }
    }

    /// Runs `body(worker)` once for every worker index, on `count` iterations of
    /// `DispatchQueue.concurrentPerform`, and returns the results in index order.
    public func map<T>(_ body: (Worker) -> T) -> [T] {
        enter("map")
        defer { leave() }
        nonisolated(unsafe) let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        let workers = self.count
        // `concurrentPerform` takes a `@Sendable` closure. As the pool's `map`, `body` runs on
        // several threads at once by contract, and iteration `i` writes slot `i` only.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { index in
            let mode = thinned_flush_denormals()
            defer { thinned_set_float_mode(mode) }
            slots[index] = body(Worker(index: index, count: workers, scratch: scratch[index]))
        }
        return slots.map { $0! }
    }

    private func enter(_ verb: StaticString) {
        precondition(running.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged,
                     "DispatchExecutor.\(verb): called while another job on this executor is running (from a task, or from a second thread)")
    }

    private func leave() {
        running.store(false, ordering: .releasing)
    }
}
