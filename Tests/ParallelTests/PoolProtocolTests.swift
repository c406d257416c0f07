import Testing
import Synchronization
import Foundation
@testable import Parallel

/// The fork–join protocol under stress: workers that park between jobs, tasks of random length,
/// and a worker that wakes late. Serialized: these suites start more threads than cores.
@Suite(.serialized) struct PoolProtocolTests {
    /// Longer than a worker's spin, so that workers really park between jobs.
    static let pauseMicroseconds: UInt32 = 400

    /// Counts how often each task of each round ran, with a random delay inside some tasks.
    /// `@unchecked Sendable`: the driver thread of a test takes it over; `delays` is set only between rounds.
    final class Rounds: WorkerTasks, @unchecked Sendable {
        let hits: UnsafeMutableBufferPointer<Atomic<Int>>
        let tasks: Int
        var round = 0
        var delays: [UInt32] = []
        init(tasks: Int) {
            self.tasks = tasks
            hits = .allocate(capacity: tasks)
            for i in 0..<tasks { (hits.baseAddress! + i).initialize(to: Atomic(0)) }
        }
        deinit { hits.deallocate() }
        func run(task: Int, on worker: Worker) {
            if delays[task] > 0 { usleep(delays[task]) }
            hits[task].add(1, ordering: .relaxed)
        }
        var counts: [Int] { (0..<tasks).map { hits[$0].load(ordering: .relaxed) } }
    }

    /// Many fork–joins with pauses that let workers park, random delays inside tasks and a
    /// broadcast every few rounds: every task runs exactly once per round, every broadcast once
    /// on every worker.
    @Test(arguments: [1, 2, 5])
    func parkAndWakeRunEveryTaskOnce(threads: Int) throws {
        let pool = try WorkerPool(threads: threads)
        let rounds = 300, tasks = 7
        let work = Rounds(tasks: tasks)
        var generator = SplitMix64(seed: UInt64(threads))
        let perWorker = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        perWorker.initialize(repeating: 0)
        defer { perWorker.deallocate() }
        var broadcasts = 0
        for round in 0..<rounds {
            work.delays = (0..<tasks).map { _ in generator.next() % 4 == 0 ? UInt32(generator.next() % 300) : 0 }
            pool.forEachTask(tasks, of: work)
            #expect(work.counts == Array(repeating: round + 1, count: tasks), "round \(round)")
            if round % 5 == 0 {
                pool.broadcast { perWorker[$0.index] += 1 }
                broadcasts += 1
            }
            if generator.next() % 2 == 0 { usleep(Self.pauseMicroseconds) }
        }
        #expect(Array(perWorker) == Array(repeating: broadcasts, count: threads))
    }

    /// A worker that wakes late — here, not at all until released — holds up no task list: the
    /// joins return once the tasks are done, and the late worker, once it wakes, runs nothing of
    /// the jobs that went by (every task still ran exactly once per round).
    @Test(arguments: [2, 4])
    func joinWaitsForTasksNotForALateWorker(threads: Int) throws {
        let pool = try WorkerPool(threads: threads)
        let gate = DispatchSemaphore(value: 0)
        let held = Atomic<Bool>(true)
        // The last worker: a thread of the pool's own (worker 0 is the caller, never woken).
        let late = threads - 1
        pool.state.wakeHook = { index in
            if index == late && held.load(ordering: .acquiring) { gate.wait() }
        }
        let rounds = 200, tasks = 5
        let work = Rounds(tasks: tasks)
        work.delays = Array(repeating: 0, count: tasks)
        let done = DispatchSemaphore(value: 0)
        let driver = Thread {
            for _ in 0..<rounds { pool.forEachTask(tasks, of: work) }
            done.signal()
        }
        driver.start()
        // On a protocol that waits for every worker this times out: the late one never checks in.
        let finishedWhileLate = done.wait(timeout: .now() + 60) == .success
        held.store(false, ordering: .releasing)
        gate.signal()
        if !finishedWhileLate { done.wait() }
        #expect(finishedWhileLate, "the joins waited for the late worker")
        #expect(work.counts == Array(repeating: rounds, count: tasks))
        // The late worker is back in service: a broadcast reaches every worker once.
        let seen = pool.map { $0.index }
        #expect(seen == Array(0..<threads))
    }

    /// A worker stalled between reading a share and claiming from it — while the job ends, the
    /// caller posts newer ones with other task counts, and the kind slot it read is reused — claims
    /// nothing of them: its claim carries the old sequence number and fails. Every task of every
    /// round still runs exactly once. (A claim without the sequence check loses a task and the
    /// join never returns: the time limit turns that into a failure.)
    @Test(.timeLimit(.minutes(1)), arguments: [2, 3])
    func aWorkerStalledMidClaimRunsNothingStale(threads: Int) throws {
        let pool = try WorkerPool(threads: threads)
        let stalls = Atomic<Int>(0)
        let stalled = threads - 1   // a thread of the pool's own: the caller cannot outlive its job
        pool.state.claimHook = { index in
            // That worker, at every seventh claim it attempts: 2 ms, several jobs' worth.
            if index == stalled && stalls.add(1, ordering: .relaxed).newValue % 7 == 0 { usleep(2_000) }
        }
        let counts = [3, 9, 1, 6, 2, 9, 4]
        let work = Rounds(tasks: 9)
        // Tasks long enough (50 µs) that every worker takes part in most rounds.
        work.delays = Array(repeating: 50, count: 9)
        var expected = Array(repeating: 0, count: 9)
        for round in 0..<300 {
            let n = counts[round % counts.count]
            pool.forEachTask(n, of: work)
            for i in 0..<n { expected[i] += 1 }
            #expect(work.counts == expected, "round \(round), \(n) tasks")
        }
        #expect(stalls.load(ordering: .relaxed) > 7, "worker \(stalled) never stalled mid-claim")
    }

    /// Workers that outnumber the CPUs do not spin, and a task list wakes no more of them than
    /// there are tasks: many fork–joins of an oversubscribed pool finish.
    @Test func oversubscribedPoolDoesNotSpin() throws {
        let threads = 4 * max(2, ProcessInfo.processInfo.activeProcessorCount)
        let pool = try WorkerPool(threads: threads)
        #expect(pool.state.workerSpinNanoseconds == 0)
        let work = Rounds(tasks: 3)
        work.delays = [0, 0, 0]
        for _ in 0..<2_000 { pool.forEachTask(3, of: work) }
        #expect(work.counts == [2_000, 2_000, 2_000])
    }

    /// Scratch memory that cannot be had is a thrown error naming the worker, not a trap.
    @Test(.disabled(if: underThreadSanitizer, "ThreadSanitizer's allocator aborts on an impossible size"))
    func scratchThatCannotBeHadIsAnError() {
        #expect(throws: PoolError.scratchUnavailable(worker: 0, bytes: 1 << 50)) {
            try WorkerPool(threads: 1, scratchBytes: 1 << 50)
        }
    }

    /// True in a ThreadSanitizer build, whose shadow memory cannot live under an address-space
    /// limit.
    static let underThreadSanitizer = dlsym(nil, "__tsan_init") != nil

    /// A thread the system refuses is a thrown error naming how many started; those are stopped.
    @Test(.disabled(if: underThreadSanitizer, "ThreadSanitizer cannot run under an address-space limit"))
    func refusedThreadIsAnError() async {
        await #expect(processExitsWith: .success) {
            // 64 MiB of address space more than now: room for a few 8 MiB stacks, not for 100.
            // Every way out is `_exit`: under this limit, the exit handlers of the libraries
            // linked in (OpenBLAS joins its server thread, which may still be retrying its buffer's
            // mmap forever) would hang the child.
            var limit = rlimit()
            guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 else { _exit(2) }
            let used = Int(try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
                .split(separator: " ")[0])! * Int(sysconf(Int32(_SC_PAGESIZE)))
            limit.rlim_cur = rlim_t(used + 64 << 20)
            guard setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 else { _exit(3) }
            do {
                _ = try WorkerPool(threads: 100)
                _exit(4)
            } catch let PoolError.threadUnavailable(started, requested, code) {
                guard started >= 1, started < 100, requested == 100, code == EAGAIN else { _exit(5) }
                // The refused pool stopped its workers: a smaller one starts in the space they had.
                _ = try WorkerPool(threads: started)
                _exit(0)
            }
        }
    }
}
