import Parallel

/// How much slower each worker runs the step's products when all P workers of a pool run them at
/// once than when one runs them alone: what sharing the machine costs a core — a physical core
/// shared by two virtual CPUs (SMT siblings on the host of a VM), a lower all-core clock, a shared
/// last-level cache or memory.
///
/// Measured on the pool itself, in rounds that alternate the two cases so that both see the same
/// machine: worker 0 alone runs `passes` passes of the step's products (`StepProducts`) while the
/// others wait, then every worker runs them at once; each times its own passes. The slowdown is
/// the mean time of a worker together over the time alone, summed over the rounds.
public struct CoreContention: Sendable, Codable, Equatable {
    /// P, the pool's workers.
    public let workers: Int
    /// The rounds measured.
    public let rounds: Int
    /// Passes over the step's products per worker and round.
    public let passes: Int
    /// Worker 0's time for its passes alone, summed over the rounds, in seconds.
    public let aloneSeconds: Double
    /// A worker's time for its passes with all P at once, mean over the workers, summed over the
    /// rounds, in seconds.
    public let togetherSeconds: Double

    /// A contention measured elsewhere, or by hand.
    public init(workers: Int, rounds: Int, passes: Int, aloneSeconds: Double, togetherSeconds: Double) {
        self.workers = workers
        self.rounds = rounds
        self.passes = passes
        self.aloneSeconds = aloneSeconds
        self.togetherSeconds = togetherSeconds
    }

    /// together / alone: 1 when the workers do not slow each other down.
    public var slowdown: Double { aloneSeconds > 0 ? togetherSeconds / aloneSeconds : 1 }

    /// Measures the contention of `pool` on the products of `model` at `batch`, `passes` per round.
    /// A one-worker pool has none to measure: its slowdown is 1 by definition.
    public static func measure(model: ModelConfiguration, batch: Int, pool: WorkerPool, passes: Int, rounds: Int = 5)
        -> CoreContention
    {
        precondition(passes >= 1 && rounds >= 1, "CoreContention.measure: \(passes) passes, \(rounds) rounds")
        guard pool.count > 1 else {
            return CoreContention(workers: 1, rounds: 0, passes: passes, aloneSeconds: 0, togetherSeconds: 0)
        }
        // Each worker's operands are its own, allocated (and first touched) on it.
        let products = pool.map { _ in StepProducts(model: model, batch: batch) }
        let times = UnsafeMutableBufferPointer<Double>.allocate(capacity: pool.count)
        defer { times.deallocate() }
        func timed(_ worker: Worker) {
            let start = Clock.seconds()
            for _ in 0..<passes { products[worker.index].run() }
            times[worker.index] = Clock.seconds() - start
        }
        pool.broadcast(timed)   // warm: caches, pages, the clock
        var alone = 0.0, together = 0.0
        for _ in 0..<rounds {
            pool.broadcast { if $0.index == 0 { timed($0) } }
            alone += times[0]
            pool.broadcast(timed)
            together += times.reduce(0, +) / Double(pool.count)
        }
        return CoreContention(workers: pool.count, rounds: rounds, passes: passes, aloneSeconds: alone, togetherSeconds: together)
    }
}
