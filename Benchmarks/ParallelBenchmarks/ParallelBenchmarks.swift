import Benchmark
import Parallel

/// The pool's own costs: an empty fork–join (the latency a training step pays at every join),
/// and a fixed amount of arithmetic cut into fixed chunks (how close the pool gets to linear
/// speedup when there is real work). The fork–join of P empty tasks and the fixed compute are
/// also run on `DispatchExecutor` (GCD's `concurrentPerform`, unpinned), the comparison the
/// README reports. Run: `swift package benchmark --target ParallelBenchmarks`.
let benchmarks: @Sendable () -> Void = {
    let topology = Topology.load()
    let cores = (try? topology.get())?.places(.cores).count ?? 1
    let threadCounts = Array(Set([1, 2, 4, 8, 16, 32, 64].filter { $0 < cores } + [cores])).sorted()

    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    for threads in threadCounts {
        let pool = try! WorkerPool.start(threads: threads, bind: .close, places: .cores, scratchBytes: scratchBytes,
                                         topology: topology).pool

        Benchmark("broadcast (empty) × 1000, \(threads) workers",
                  configuration: .init(timeUnits: .microseconds, scalingFactor: .kilo)) { benchmark in
            for _ in benchmark.scaledIterations {
                pool.broadcast { _ in }
            }
        }

        let dispatch = try! DispatchExecutor(workers: threads, scratchBytes: scratchBytes)
        let empty = EmptyTasks(), busy = BusyTasks()

        // One iteration is one fork–join, so that the percentiles are those of single joins.
        // Empty tasks are the join's own cost, but a caller that can run them all itself before a
        // helper wakes (GCD's does) never forks. Tasks of 20 µs each (a step's smallest tasks are
        // of that order) give every worker time to take part: beyond 20 µs (P ≤ cores) is what
        // the fork and the join cost when they really happen.
        for (name, executor) in [("pool", pool as any ForkJoinExecutor), ("dispatch", dispatch)] {
            Benchmark("fork–join (\(threads) empty tasks), \(name), \(threads) workers",
                      configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds,
                                           maxDuration: .seconds(2), maxIterations: 200_000)) { benchmark in
                executor.forEachTask(threads, of: empty)
            }
            Benchmark("fork–join (\(threads) tasks of 20 µs), \(name), \(threads) workers",
                      configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds,
                                           maxDuration: .seconds(2), maxIterations: 200_000)) { benchmark in
                executor.forEachTask(threads, of: busy)
            }
        }

        // The same fixed compute on both executors (names as before: the pool's has no suffix).
        for (suffix, executor) in [("", pool as any ForkJoinExecutor), (", dispatch", dispatch)] {
            Benchmark("fixed compute, 256 chunks, \(threads) workers\(suffix)",
                      configuration: .init(timeUnits: .milliseconds)) { benchmark in
                let sums = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunkCount)
                defer { sums.deallocate() }
                benchmark.startMeasurement()
                executor.forEachChunk(of: 0..<chunkCount, size: 1) { chunk, worker in
                    sums[chunk.lowerBound] = compute(on: worker.scratch)
                }
                benchmark.stopMeasurement()
                blackHole(sums.reduce(0, +))
            }
        }
    }
}

/// Tasks that do nothing: a fork–join's own cost.
private final class EmptyTasks: WorkerTasks {
    func run(task: Int, on worker: Worker) {}
}

/// Tasks that each keep their worker busy for 20 µs (by the clock, not by a count of operations).
private final class BusyTasks: WorkerTasks {
    func run(task: Int, on worker: Worker) {
        let end = Clock.nanoseconds() + 20_000
        while Clock.nanoseconds() < end {}
    }
}

private let chunkCount = 256
private let scratchBytes = 16 * 1024

/// About 0.1 ms of multiply–adds over an L1-resident buffer: compute-bound, no shared memory.
private func compute(on scratch: UnsafeMutableRawBufferPointer) -> Float {
    let x = scratch.bindMemory(to: Float.self)
    var acc: (Float, Float, Float, Float) = (0, 0, 0, 0)
    for round in 0..<64 {
        let a = Float(round) * 1e-3
        var i = 0
        while i + 3 < x.count {
            acc.0 = acc.0 * 0.999 + (x[i] + a)
            acc.1 = acc.1 * 0.999 + (x[i + 1] + a)
            acc.2 = acc.2 * 0.999 + (x[i + 2] + a)
            acc.3 = acc.3 * 0.999 + (x[i + 3] + a)
            i += 4
        }
    }
    return acc.0 + acc.1 + acc.2 + acc.3
}
