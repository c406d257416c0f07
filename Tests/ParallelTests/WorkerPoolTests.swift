import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
@testable import Parallel

/// The pool on the real machine. Serialized: these suites start threads pinned to every core.
@Suite(.serialized) struct WorkerPoolTests {
    /// Threads counts that run without oversubscribing this machine, plus one that does.
    static let threadCounts = [1, 2, 3, 4]

    @Test(arguments: threadCounts)
    func broadcastRunsOncePerWorker(threads: Int) throws {
        let pool = try WorkerPool(threads: threads, scratchBytes: 256)
        let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        seen.initialize(repeating: 0)
        defer { seen.deallocate() }
        for _ in 0..<100 {
            pool.broadcast { worker in
                #expect(worker.count == threads)
                #expect(worker.scratch.count == 256)
                seen[worker.index] += 1
            }
        }
        #expect(Array(seen) == Array(repeating: 100, count: threads))
    }

    @Test(arguments: [(10, 3), (2, 5), (0, 4), (1000, 7)])
    func sharesPartitionTheRange(count: Int, parts: Int) {
        let shares = (0..<parts).map { WorkerPool.share(of: 0..<count, part: $0, of: parts) }
        #expect(shares.first?.lowerBound == 0 && shares.last?.upperBound == count)
        for (left, right) in zip(shares, shares.dropFirst()) { #expect(left.upperBound == right.lowerBound) }
        #expect(shares.map(\.count).max()! - shares.map(\.count).min()! <= 1)
    }

    @Test func everyWorkerRunsWhereItsPlanSays() throws {
        let topology = try Topology()
        try #require(topology.isThisSystem)
        for bind in [BindPolicy.close, .spread] {
            for places in PlaceKind.allCases {
                let plan = try topology.plan(threads: nil, bind: bind, places: places)
                let pool = try WorkerPool(plan: plan, topology: topology)
                #expect(pool.bindings.allSatisfy { $0.isPinned }, "binding refused for \(bind) \(places): \(pool.bindings)")
                let locations = pool.locate()
                #expect(locations.map(\.requested) == plan.workers)
                #expect(locations.allSatisfy { $0.isVerified }, "\(locations)")
            }
        }
    }

    @Test func unpinnedPlanLeavesWorkersFree() throws {
        let topology = try Topology()
        let plan = try topology.plan(threads: 2, bind: .none, places: .cores)
        let pool = try WorkerPool(plan: plan, topology: topology)
        #expect(pool.bindings.allSatisfy { $0.requested == nil && $0.failure == nil })
        #expect(pool.locate().allSatisfy { $0.binding?.isSubset(of: topology.usableSet) ?? true })
    }

    @Test func syntheticTopologyDegradesToUnpinned() throws {
        let topology = try Topology(synthetic: "pack:1 core:2 pu:1")
        let plan = try topology.plan(threads: 2, bind: .close, places: .cores)
        let pool = try WorkerPool(plan: plan, topology: topology)
        #expect(pool.bindings.allSatisfy { $0.failure == .notThisSystem })
        var ran = [false, false]
        ran.withUnsafeMutableBufferPointer { flags in pool.broadcast { flags[$0.index] = true } }
        #expect(ran == [true, true])
    }

    /// 100 000 fork–joins, each worker doing a random amount of work; every result must arrive.
    @Test(arguments: [2, 3])
    func stressManyForkJoins(threads: Int) throws {
        let pool = try WorkerPool(threads: threads)
        let rounds = 100_000
        let totals = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads)
        totals.initialize(repeating: 0)
        defer { totals.deallocate() }
        var expected: UInt64 = 0
        var generator = SplitMix64(seed: 42)
        for round in 0..<rounds {
            let work = Int(generator.next() % 200)
            expected &+= UInt64(threads) &* Self.work(round: round, iterations: work)
            pool.broadcast { worker in
                totals[worker.index] &+= Self.work(round: round, iterations: work)
            }
        }
        #expect(totals.reduce(0, &+) == expected)
    }

    static func work(round: Int, iterations: Int) -> UInt64 {
        var x = UInt64(round) &+ 1
        for _ in 0..<iterations { x = x &* 6364136223846793005 &+ 1442695040888963407 }
        return x >> 32
    }

    /// Worker 0 is the calling thread: its part of a broadcast, and its share of a task list
    /// (all of it in a pool of one), run there; every other worker is a thread of its own.
    @Test(arguments: [1, 3])
    func theCallerIsWorkerZero(threads: Int) throws {
        let pool = try WorkerPool(threads: threads, scratchBytes: 64)
        let here = pthread_self()
        let onCaller = pool.map { _ in pthread_equal(pthread_self(), here) != 0 }
        #expect(onCaller == [true] + Array(repeating: false, count: threads - 1))
        let distinct = Set(pool.map { _ in pthread_self() })
        #expect(distinct.count == threads)
        #expect(pool.map { $0.scratch.count } == Array(repeating: 64, count: threads))
        if threads == 1 {
            final class Where: WorkerTasks {
                let caller = pthread_self()
                var elsewhere = 0
                func run(task: Int, on worker: Worker) { if pthread_equal(pthread_self(), caller) == 0 { elsewhere += 1 } }
            }
            let tasks = Where()
            pool.forEachTask(50, of: tasks)
            #expect(tasks.elsewhere == 0)
        }
    }

    /// `pinningCaller` binds the calling thread to worker 0's place for its body (nested scopes
    /// keep it there), and gives the thread the binding it had back afterwards.
    @Test func pinningCallerBindsWorkerZeroAndRestores() throws {
        let topology = try Topology()
        try #require(topology.isThisSystem)
        let plan = try topology.plan(threads: 1, bind: .spread, places: .cores)
        let pool = try WorkerPool(plan: plan, topology: topology)
        #expect(pool.bindings[0].isPinned)
        let before = try topology.currentThreadBinding()
        let inside = pool.pinningCaller { () -> (CPUSet?, CPUSet?) in
            let outer = try? topology.currentThreadBinding()
            let nested = pool.pinningCaller { try? topology.currentThreadBinding() }
            return (outer, nested)
        }
        #expect(inside.0 == plan.workers[0] && inside.1 == plan.workers[0])
        #expect(try topology.currentThreadBinding() == before)
        #expect(pool.locate()[0].isVerified)
        #expect(try topology.currentThreadBinding() == before)
    }

    /// A `pinningCaller` scope opened on a second thread while another thread's is open stops
    /// the program (both would save and restore their bindings through the same slot).
    @Test func pinningCallerFromASecondThreadStopsTheProgram() async {
        await #expect(processExitsWith: .failure) {
            let pool = try WorkerPool(threads: 1)
            let opened = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            let holder = Thread {
                pool.pinningCaller {
                    opened.signal()
                    release.wait()
                }
            }
            holder.start()
            opened.wait()
            pool.pinningCaller {}
            release.signal()
        }
    }

    @Test func nestedBroadcastStopsTheProgram() async {
        await #expect(processExitsWith: .failure) {
            let pool = try WorkerPool(threads: 1)
            pool.broadcast { _ in pool.broadcast { _ in } }
        }
    }
}

/// A small seeded generator for test inputs (Steele, Lea, Flood: SplitMix64, OOPSLA 2014).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
