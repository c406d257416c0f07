import Testing
import Synchronization
@testable import Parallel

/// GCD's `concurrentPerform` as an executor of the same task lists as the pool: per-worker
/// scratch that no two running tasks share, results visible after the join (every task and
/// chunk once, and `map`, on both executors: `ForkJoinExecutorTests`).
@Suite(.serialized) struct DispatchExecutorTests {
    /// Worker counts up to this machine's cores and beyond (GCD then runs iterations in turn).
    static let workerCounts = [1, 2, 3, 4]

    @Test(arguments: workerCounts)
    func scratchIsAlignedZeroedAndPerWorker(workers: Int) throws {
        let bytes = 1000
        let executor = try DispatchExecutor(workers: workers, scratchBytes: bytes)
        let seen = executor.map { worker in
            (address: UInt(bitPattern: worker.scratch.baseAddress), count: worker.scratch.count,
             zeroed: worker.scratch.allSatisfy { $0 == 0 })
        }
        #expect(seen.allSatisfy { $0.address % 64 == 0 && $0.count == bytes && $0.zeroed }, "\(seen)")
        #expect(Set(seen.map(\.address)).count == workers)
    }

    /// Each task writes its number into its worker's scratch, works a while, and reads it back:
    /// another task running at the same time with the same worker index would overwrite it.
    final class ScratchOwnership: WorkerTasks {
        let collisions = Atomic<Int>(0)
        let outOfRange = Atomic<Int>(0)
        func run(task: Int, on worker: Worker) {
            if !(0..<worker.count).contains(worker.index) { outOfRange.add(1, ordering: .relaxed) }
            let slot = worker.scratch.baseAddress!.assumingMemoryBound(to: Int.self)
            slot.pointee = task
            var x = UInt64(task)
            for _ in 0..<2_000 { x = x &* 6364136223846793005 &+ 1442695040888963407 }
            if slot.pointee != task || x == 0 { collisions.add(1, ordering: .relaxed) }
        }
    }

    @Test(arguments: [2, 3, 4])
    func noTwoRunningTasksShareAWorker(workers: Int) throws {
        let executor = try DispatchExecutor(workers: workers, scratchBytes: 64)
        let tasks = ScratchOwnership()
        for _ in 0..<200 { executor.forEachTask(64, of: tasks) }
        #expect(tasks.collisions.load(ordering: .relaxed) == 0)
        #expect(tasks.outOfRange.load(ordering: .relaxed) == 0)
    }

    /// Adds each task's result into its own slot; the caller checks the sums after every join.
    final class Squares: WorkerTasks {
        let results: UnsafeMutableBufferPointer<UInt64>
        var round: UInt64 = 0
        init(_ count: Int) { results = .allocate(capacity: count); results.initialize(repeating: 0) }
        deinit { results.deallocate() }
        func run(task: Int, on worker: Worker) { results[task] &+= round &* UInt64(task) }
    }

    /// 20 000 fork–joins: what the caller wrote before each is seen by the tasks, and what the
    /// tasks wrote is seen by the caller after it.
    @Test(arguments: [2, 3])
    func everyJoinPublishesTheTasksResults(workers: Int) throws {
        let executor = try DispatchExecutor(workers: workers)
        let count = 5
        let squares = Squares(count)
        var expected = [UInt64](repeating: 0, count: count)
        for round in 1...20_000 {
            squares.round = UInt64(round)
            executor.forEachTask(count, of: squares)
            for task in 0..<count { expected[task] &+= UInt64(round) &* UInt64(task) }
        }
        #expect(Array(squares.results) == expected)
    }

    @Test func nestedForEachTaskStopsTheProgram() async {
        await #expect(processExitsWith: .failure) {
            final class Nested: WorkerTasks {
                let executor: DispatchExecutor
                init(_ executor: DispatchExecutor) { self.executor = executor }
                func run(task: Int, on worker: Worker) { executor.forEachTask(1, of: self) }
            }
            let executor = try DispatchExecutor(workers: 2)
            executor.forEachTask(2, of: Nested(executor))
        }
    }
}
