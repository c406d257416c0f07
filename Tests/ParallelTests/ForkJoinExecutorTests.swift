import Synchronization
import Testing
@testable import Parallel

/// What every `ForkJoinExecutor` promises, on both executors: every task and every chunk once,
/// one `map` result per worker in order. Serialized: the pools start threads on every core.
@Suite(.serialized) struct ForkJoinExecutorTests {
    /// Worker counts that run without oversubscribing this machine, plus one that does.
    static let workerCounts = [1, 2, 3, 4]

    static func executor(_ kind: ExecutorKind, workers: Int) throws -> any ForkJoinExecutor {
        switch kind {
        case .pool: try WorkerPool(threads: workers)
        case .dispatch: try DispatchExecutor(workers: workers)
        }
    }

    /// Counts how often each task ran.
    final class Counter: WorkerTasks {
        let hits: UnsafeMutableBufferPointer<Int>
        init(_ count: Int) { hits = .allocate(capacity: max(1, count)); hits.initialize(repeating: 0) }
        deinit { hits.deallocate() }
        func run(task: Int, on worker: Worker) { hits[task] += 1 }
    }

    @Test(arguments: ExecutorKind.allCases, workerCounts)
    func forEachTaskRunsEveryTaskOnce(kind: ExecutorKind, workers: Int) throws {
        let executor = try Self.executor(kind, workers: workers)
        for count in [0, 1, 7, 1000] {
            let counter = Counter(count)
            for _ in 0..<3 { executor.forEachTask(count, of: counter) }
            #expect(counter.hits.prefix(count).allSatisfy { $0 == 3 }, "\(kind), \(workers) workers, \(count) tasks")
        }
    }

    /// Tasks that, when `gated`, wait (at most 2 s) until the caller's `whileWaiting` has run once.
    final class Gated: WorkerTasks, @unchecked Sendable {
        let counter: Counter
        let gated: Bool
        let opened = Atomic<Bool>(false)
        init(_ count: Int, gated: Bool) {
            counter = Counter(count)
            self.gated = gated
        }
        func run(task: Int, on worker: Worker) {
            let end = Clock.seconds() + 2
            while gated && !opened.load(ordering: .acquiring) && Clock.seconds() < end {}
            counter.run(task: task, on: worker)
        }
    }

    /// With `whileWaiting`, every task still runs once and its writes are seen after the join. The
    /// pool's caller runs the closure while the tasks are under way, before it takes a task of its
    /// own — they wait for it, so a caller that slept, or ran a task first, would keep them waiting
    /// 2 s and fail — and not again once it returns false; GCD's caller takes part in the tasks
    /// and never runs it.
    @Test(arguments: ExecutorKind.allCases, workerCounts)
    func forEachTaskWhileWaitingRunsEveryTaskOnce(kind: ExecutorKind, workers: Int) throws {
        let executor = try Self.executor(kind, workers: workers)
        for count in [0, 1, 7, 40] {
            var calls = 0, slow = false
            for _ in 0..<3 {
                let tasks = Gated(count, gated: kind == .pool)
                let start = Clock.seconds()
                executor.forEachTask(count, of: tasks) {
                    calls += 1
                    tasks.opened.store(true, ordering: .releasing)
                    return true
                }
                slow = slow || Clock.seconds() - start > 1.5
                #expect(tasks.counter.hits.prefix(count).allSatisfy { $0 == 1 }, "\(kind), \(workers) workers, \(count) tasks")
            }
            if kind == .pool && count > 0 { #expect(calls > 0 && !slow, "the caller did not run whileWaiting while \(count) tasks waited for it") }
            if kind == .dispatch || count == 0 { #expect(calls == 0) }
            // A closure that says it is done is not called again; the join still waits for every task.
            var once = 0
            let more = Gated(count, gated: false)
            executor.forEachTask(count, of: more) { once += 1; return false }
            #expect(more.counter.hits.prefix(count).allSatisfy { $0 == 1 } && once <= 1)
        }
    }

    /// Tasks that wait (at most 2 s) until `whileWaiting` has run once more than the task's number.
    final class Counted: WorkerTasks, @unchecked Sendable {
        let calls = Atomic<Int>(0)
        var late: [Int] = []
        func run(task: Int, on worker: Worker) {
            let end = Clock.seconds() + 2
            while calls.load(ordering: .acquiring) < task + 1 && Clock.seconds() < end {}
            if calls.load(ordering: .acquiring) < task + 1 { late.append(task) }
        }
    }

    /// The pool's caller runs `whileWaiting` after every task it runs itself, not only before
    /// the first: on one worker the caller runs every task, in order, and task i waits for the
    /// closure's (i + 1)th run, so a caller that ran it only before its first task, or only once
    /// its part is done, would keep every later task waiting 2 s.
    @Test func whileWaitingRunsAfterEachTaskTheCallerRuns() throws {
        let pool = try WorkerPool(threads: 1)
        let tasks = Counted()
        pool.forEachTask(5, of: tasks) {
            tasks.calls.add(1, ordering: .releasing)
            return true
        }
        #expect(tasks.late.isEmpty, "tasks \(tasks.late) waited for whileWaiting")
        #expect(tasks.calls.load(ordering: .relaxed) >= 5)
    }

    @Test(arguments: ExecutorKind.allCases, workerCounts)
    func mapReturnsOneResultPerWorkerInOrder(kind: ExecutorKind, workers: Int) throws {
        let executor = try Self.executor(kind, workers: workers)
        #expect(executor.map { $0.index * 10 } == (0..<workers).map { $0 * 10 })
        #expect(executor.map { "\($0.index)/\($0.count)" } == (0..<workers).map { "\($0)/\(workers)" })
    }

    @Test(arguments: ExecutorKind.allCases, workerCounts)
    func forEachChunkCoversEveryIndexOnce(kind: ExecutorKind, workers: Int) throws {
        let executor = try Self.executor(kind, workers: workers)
        let range = 5..<1005
        for size in [1, 3, 64, 1000] {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: range.upperBound)
            hits.initialize(repeating: 0)
            defer { hits.deallocate() }
            executor.forEachChunk(of: range, size: size) { chunk, _ in
                #expect(chunk.count == size || chunk.upperBound == range.upperBound)
                #expect((chunk.lowerBound - range.lowerBound) % size == 0)
                for index in chunk { hits[index] += 1 }
            }
            #expect(hits[..<range.lowerBound].allSatisfy { $0 == 0 })
            #expect(hits[range].allSatisfy { $0 == 1 }, "\(kind), \(workers) workers, chunks of \(size)")
        }
    }
}
