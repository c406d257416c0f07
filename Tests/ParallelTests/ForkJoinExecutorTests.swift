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

    /// With `whileWaiting`, every task still runs once and its writes are seen after the join; the
    /// pool's caller runs the closure while tasks that take a while (40 of 0.5 ms) are under way
    /// and stops once it returns false; GCD's caller takes part in the tasks and never runs it.
    @Test(arguments: ExecutorKind.allCases, workerCounts)
    func forEachTaskWhileWaitingRunsEveryTaskOnce(kind: ExecutorKind, workers: Int) throws {
        let executor = try Self.executor(kind, workers: workers)
        final class Slow: WorkerTasks {
            let counter: Counter
            init(_ count: Int) { counter = Counter(count) }
            func run(task: Int, on worker: Worker) {
                let end = Clock.seconds() + 0.0005
                while Clock.seconds() < end {}
                counter.run(task: task, on: worker)
            }
        }
        for count in [0, 1, 7, 40] {
            let tasks = Slow(count)
            var calls = 0
            for _ in 0..<3 { executor.forEachTask(count, of: tasks) { calls += 1; return true } }
            #expect(tasks.counter.hits.prefix(count).allSatisfy { $0 == 3 }, "\(kind), \(workers) workers, \(count) tasks")
            if kind == .pool && count > 0 { #expect(calls > 0, "the caller waited \(count) tasks of 0.5 ms without calling") }
            if kind == .dispatch || count == 0 { #expect(calls == 0) }
            // A closure that says it is done is not called again; the join still waits for all.
            var once = 0
            let more = Slow(count)
            executor.forEachTask(count, of: more) { once += 1; return false }
            #expect(more.counter.hits.prefix(count).allSatisfy { $0 == 1 } && once <= 1)
        }
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
