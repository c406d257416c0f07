import Parallel
import RealModule

/// What one fork–join costs the step on P workers beyond its tasks — the time of the fork–join
/// that no task covers (`TaskLog.overheadSeconds`): waking workers, claiming, the last
/// decrement, waking the caller — as a function of how long the phase runs.
///
/// Why a function of the phase's length: the caller, its own task done, spins for the join only
/// briefly, then parks, and waking a parked caller (on a virtual machine, a halted virtual CPU)
/// costs tens of microseconds where an empty fork–join, which never parks, costs one or two (with
/// the caller as worker 0 it waits only for tasks that end about when its own does, and seldom
/// parks, but a late worker can still make it). So it is measured
/// on the study's pool of P workers with P tasks that each busy-wait d, for every d of
/// `taskLengths` (d = 0 is the empty fork–join), median over many; a phase of length m pays the
/// cost interpolated linearly in d (the last one beyond the grid).
///
/// For worker counts not measured: per d, c(P) = a + b·log₂P fitted by least squares to the
/// measured counts (waking and claiming grow with the workers, at most in a tree's depth), with
/// b ≥ 0 — a join never gets cheaper with more workers; a negative slope, which only noise between
/// close points gives, becomes the flat fit b = 0, a = the mean. With one measured count every
/// fit is flat (`isFlat`), and the report says so.
public struct JoinCost: Sendable, Codable, Equatable {
    /// The task lengths d measured, in seconds: from the empty fork–join to phases long enough
    /// for the caller to park (it spins 2 ms first, `PoolState`).
    public static let taskLengths: [Double] = [0, 20e-6, 100e-6, 500e-6, 1.5e-3, 3e-3, 6e-3]

    /// One measured worker count and task length, and the median fork–join overhead.
    public struct Point: Sendable, Codable, Equatable {
        /// The pool's worker count.
        public let workers: Int
        /// d: how long each of the P tasks ran, in seconds.
        public let taskSeconds: Double
        /// The median time of the fork–join that no task covered, in seconds.
        public let seconds: Double

        /// A measured point.
        public init(workers: Int, taskSeconds: Double, seconds: Double) {
            self.workers = workers
            self.taskSeconds = taskSeconds
            self.seconds = seconds
        }
    }

    /// The fit c(P) = a + b·log₂P at one task length.
    public struct Fit: Sendable, Codable, Equatable {
        /// d, in seconds.
        public let taskSeconds: Double
        /// a, in seconds: the fitted cost at one worker.
        public let interceptSeconds: Double
        /// b, in seconds per doubling of the workers (≥ 0).
        public let secondsPerDoubling: Double
    }

    /// The measured points, by task length, then worker count.
    public let points: [Point]
    /// One fit per measured task length, ascending.
    public let fits: [Fit]

    /// True when no fit has a slope: one measured worker count, or costs that do not grow.
    public var isFlat: Bool { fits.allSatisfy { $0.secondsPerDoubling == 0 } }

    /// Fits c(P) = a + b·log₂P to `points` (at least one), at each task length they hold.
    /// - Complexity: O(points).
    public init(points: [Point]) {
        precondition(!points.isEmpty, "JoinCost: no measured point")
        precondition(points.allSatisfy { $0.workers >= 1 && $0.seconds >= 0 && $0.taskSeconds >= 0 }, "JoinCost: bad point in \(points)")
        self.points = points.sorted { ($0.taskSeconds, $0.workers) < ($1.taskSeconds, $1.workers) }
        fits = Set(points.map(\.taskSeconds)).sorted().map { d in
            let here = points.filter { $0.taskSeconds == d }
            let n = Double(here.count)
            let xs = here.map { Double.log2(Double($0.workers)) }, ys = here.map(\.seconds)
            let meanX = xs.reduce(0, +) / n, meanY = ys.reduce(0, +) / n
            var sxy = 0.0, sxx = 0.0
            for (x, y) in zip(xs, ys) {
                sxy += (x - meanX) * (y - meanY)
                sxx += (x - meanX) * (x - meanX)
            }
            let slope = sxx > 0 ? sxy / sxx : 0
            return slope > 0 ? Fit(taskSeconds: d, interceptSeconds: meanY - slope * meanX, secondsPerDoubling: slope)
                             : Fit(taskSeconds: d, interceptSeconds: meanY, secondsPerDoubling: 0)
        }
    }

    /// A cost measured with empty fork–joins only: the same at every phase length.
    public init(emptyForkJoins: [(workers: Int, seconds: Double)]) {
        self.init(points: emptyForkJoins.map { Point(workers: $0.workers, taskSeconds: 0, seconds: $0.seconds) })
    }

    /// The cost at `workers` for tasks of length `d` in the grid: measured there, fitted elsewhere.
    private func cost(_ fit: Fit, workers: Int) -> Double {
        if let measured = points.first(where: { $0.taskSeconds == fit.taskSeconds && $0.workers == workers }) {
            return measured.seconds
        }
        return max(0, fit.interceptSeconds + fit.secondsPerDoubling * Double.log2(Double(workers)))
    }

    /// The cost of a fork–join of `phaseSeconds` on `workers` workers: interpolated between the
    /// measured task lengths, each measured at `workers` or fitted.
    public func seconds(workers: Int, phaseSeconds: Double = 0) -> Double {
        guard let above = fits.firstIndex(where: { $0.taskSeconds >= phaseSeconds }) else {
            return cost(fits[fits.count - 1], workers: workers)
        }
        guard above > 0, fits[above].taskSeconds > phaseSeconds else { return cost(fits[above], workers: workers) }
        let low = fits[above - 1], high = fits[above]
        let t = (phaseSeconds - low.taskSeconds) / (high.taskSeconds - low.taskSeconds)
        return (1 - t) * cost(low, workers: workers) + t * cost(high, workers: workers)
    }

    /// True when `workers` was measured rather than extrapolated.
    public func isMeasured(workers: Int) -> Bool { points.contains { $0.workers == workers } }

    /// For every task length of `taskLengths`: the median, over `repetitions` fork–joins (fewer
    /// for long tasks: about 20 ms of them), of the time no task covered, when `pool.count` tasks
    /// each busy-wait that long; after untimed ones to wake and warm the workers.
    public static func measure(on pool: WorkerPool, taskLengths: [Double] = taskLengths, repetitions: Int = 2000) -> [Point] {
        precondition(repetitions >= 1, "JoinCost.measure: \(repetitions) repetitions")
        let tasks = BusyTasks(count: pool.count)
        return taskLengths.map { d in
            tasks.seconds = d
            let runs = d > 0 ? max(20, min(repetitions, Int(0.02 / d))) : repetitions
            for _ in 0..<min(runs, 200) { pool.forEachTask(pool.count, of: tasks) }
            var times = [Double](repeating: 0, count: runs)
            for r in 0..<runs {
                let start = Clock.seconds()
                pool.forEachTask(pool.count, of: tasks)
                let wall = Clock.seconds() - start
                times[r] = max(0, wall - (tasks.lastEnd - tasks.firstStart))
            }
            return Point(workers: pool.count, taskSeconds: d, seconds: ScaleMath.median(times))
        }
    }
}

/// `count` tasks that each busy-wait `seconds`, recording when they started and ended.
private final class BusyTasks: WorkerTasks {
    var seconds = 0.0
    private let starts, ends: UnsafeMutableBufferPointer<Double>

    init(count: Int) {
        starts = .allocate(capacity: count)
        starts.initialize(repeating: 0)
        ends = .allocate(capacity: count)
        ends.initialize(repeating: 0)
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
    }

    var firstStart: Double { starts.min() ?? 0 }
    var lastEnd: Double { ends.max() ?? 0 }

    func run(task: Int, on worker: Worker) {
        let start = Clock.seconds()
        var now = start
        while now - start < seconds { now = Clock.seconds() }
        starts[task] = start
        ends[task] = now
    }
}
