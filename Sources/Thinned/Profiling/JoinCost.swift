import Parallel
import RealModule

/// What one fork–join costs the step on P workers, beyond its tasks: measured where the pool
/// ran, extrapolated beyond.
///
/// Measured: the median wall time of an empty fork–join — one `forEachTask` of P trivial tasks —
/// on the study's pool of P workers. Model: c(P) = a + b·log₂P, fitted by least squares to the
/// measured points (waking the workers and their claims on one shared counter grow with log P
/// in a tree of wake-ups, and at least not faster than P), with b ≥ 0: a join never gets cheaper
/// with more workers, and a negative slope, which only noise between close points gives, is
/// replaced by the flat fit b = 0, a = the mean. With one measured point the model is flat too
/// (`isFlat`), and the report says so.
public struct JoinCost: Sendable, Codable, Equatable {
    /// One measured worker count and its median empty fork–join, in seconds.
    public struct Point: Sendable, Codable, Equatable {
        /// The pool's worker count.
        public let workers: Int
        /// The median wall time of a fork–join of `workers` trivial tasks.
        public let seconds: Double

        /// A measured point.
        public init(workers: Int, seconds: Double) {
            self.workers = workers
            self.seconds = seconds
        }
    }

    /// The measured points, by worker count.
    public let points: [Point]
    /// a, in seconds: the fitted cost at one worker.
    public let interceptSeconds: Double
    /// b, in seconds per doubling of the workers (≥ 0).
    public let secondsPerDoubling: Double

    /// True when the fit has no slope: one measured worker count, or a fitted slope ≤ 0.
    public var isFlat: Bool { secondsPerDoubling == 0 }

    /// Fits c(P) = a + b·log₂P to `points` (at least one).
    /// - Complexity: O(points).
    public init(points: [Point]) {
        precondition(!points.isEmpty, "JoinCost: no measured point")
        precondition(points.allSatisfy { $0.workers >= 1 && $0.seconds >= 0 }, "JoinCost: bad point in \(points)")
        self.points = points.sorted { $0.workers < $1.workers }
        let n = Double(points.count)
        let xs = points.map { Double.log2(Double($0.workers)) }, ys = points.map(\.seconds)
        let meanX = xs.reduce(0, +) / n, meanY = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - meanX) * (y - meanY)
            sxx += (x - meanX) * (x - meanX)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        if slope > 0 {
            secondsPerDoubling = slope
            interceptSeconds = meanY - slope * meanX
        } else {
            secondsPerDoubling = 0
            interceptSeconds = meanY
        }
    }

    /// The fitted cost at `workers` workers.
    public func fittedSeconds(workers: Int) -> Double {
        max(0, interceptSeconds + secondsPerDoubling * Double.log2(Double(workers)))
    }

    /// The cost at `workers`: the measured median where that count was measured, the fit elsewhere.
    public func seconds(workers: Int) -> Double {
        points.first { $0.workers == workers }?.seconds ?? fittedSeconds(workers: workers)
    }

    /// True when `workers` was measured rather than extrapolated.
    public func isMeasured(workers: Int) -> Bool { points.contains { $0.workers == workers } }

    /// The median wall time of `repetitions` fork–joins of `pool.count` trivial tasks on `pool`,
    /// after as many untimed ones to wake and warm the workers.
    public static func measure(on pool: WorkerPool, repetitions: Int = 2000) -> Point {
        precondition(repetitions >= 1, "JoinCost.measure: \(repetitions) repetitions")
        let tasks = TrivialTasks()
        for _ in 0..<repetitions { pool.forEachTask(pool.count, of: tasks) }
        var times = [Double](repeating: 0, count: repetitions)
        for r in 0..<repetitions {
            let start = Clock.seconds()
            pool.forEachTask(pool.count, of: tasks)
            times[r] = Clock.seconds() - start
        }
        return Point(workers: pool.count, seconds: ScaleMath.median(times))
    }
}

/// Tasks that do nothing: what an empty fork–join runs.
private final class TrivialTasks: WorkerTasks {
    func run(task: Int, on worker: Worker) {}
}
