import Testing
@testable import Parallel

/// Every executor runs its tasks with denormals flushed to zero, and GCD's threads get their own
/// mode back afterwards (`ForkJoinExecutor`, "Floating point").
@Suite(.serialized) struct FloatModeTests {
    /// Half of Float's smallest normal number (a denormal, 5.9 × 10⁻³⁹) when the mode keeps
    /// denormals, 0 when it flushes them. The operand goes through memory the optimiser cannot
    /// see through, so the product is computed at run time, on the thread that calls this.
    @inline(never)
    static func halfOfSmallestNormal(_ operand: UnsafeMutablePointer<Float>) -> Float { operand.pointee * 0.5 }

    final class Halves: WorkerTasks {
        let results: UnsafeMutableBufferPointer<Float>
        let operand = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        init(_ count: Int) {
            results = .allocate(capacity: count)
            results.initialize(repeating: -1)
            operand.initialize(to: .leastNormalMagnitude)
        }
        deinit { results.deallocate(); operand.deallocate() }
        func run(task: Int, on worker: Worker) { results[task] = FloatModeTests.halfOfSmallestNormal(operand) }
    }

    static var flushes: Bool {
        #if arch(x86_64) || arch(arm64)
        true
        #else
        false
        #endif
    }

    @Test(arguments: [1, 2, 3])
    func tasksFlushDenormalsOnEveryExecutor(workers: Int) throws {
        let executors: [any ForkJoinExecutor] = [try WorkerPool(threads: workers), try DispatchExecutor(workers: workers)]
        for executor in executors {
            let halves = Halves(16)
            executor.forEachTask(16, of: halves)
            let expected: Float = Self.flushes ? 0 : Float.leastNormalMagnitude / 2
            #expect(halves.results.allSatisfy { $0 == expected }, "\(type(of: executor)), \(workers) workers: \(Array(halves.results))")
            let mapped = executor.map { _ in Self.halfOfSmallestNormal(halves.operand) }
            #expect(mapped.allSatisfy { $0 == expected }, "\(type(of: executor)).map, \(workers) workers")
            // The test's own thread (one of GCD's iterations runs on it) keeps denormals.
            let here = Self.halfOfSmallestNormal(halves.operand)
            #expect(here == Float.leastNormalMagnitude / 2 && here.isSubnormal)
        }
    }

    /// The pool's caller runs its tasks with denormals flushed, but `whileWaiting` — between its
    /// tasks, as well as before and after them — in its own mode, every time.
    @Test(arguments: [1, 2])
    func whileWaitingRunsInTheCallersOwnMode(workers: Int) throws {
        let pool = try WorkerPool(threads: workers)
        let halves = Halves(8)
        var seen: [Float] = []
        pool.forEachTask(8, of: halves) {
            seen.append(Self.halfOfSmallestNormal(halves.operand))
            return true
        }
        // On one worker the caller runs all 8 tasks: once before, after each. On two, worker 1
        // may run them all before the caller takes one: once at least.
        #expect(seen.count >= (workers == 1 ? 9 : 1) && seen.allSatisfy { $0.isSubnormal }, "\(seen)")
        let expected: Float = Self.flushes ? 0 : Float.leastNormalMagnitude / 2
        #expect(halves.results.allSatisfy { $0 == expected })
        // And the caller's own mode is back afterwards.
        #expect(Self.halfOfSmallestNormal(halves.operand).isSubnormal)
    }
}
