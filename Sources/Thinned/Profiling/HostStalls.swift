import Parallel

/// How often, and for how long, the machine takes a worker's core away while the worker has work:
/// an interrupt, the hypervisor of a virtual machine, a neighbour on a shared host. No code of
/// the step can avoid such a stall, and each one lands in some task: the task then takes longer
/// than it does in the other steps, and where it was the longest of its phase the step's span
/// grows by the stall. So a noisy host lowers the measured parallelism T₁/T∞ (`WorkSpan`) by
/// about the stalls a step meets, while the typical span leaves them out.
///
/// Measured the way `sysjitter` and similar tools do it: each worker of a pool reads the clock
/// in a tight loop for a fixed time, the workers side by side (each from when its job reaches
/// it); a gap between two readings longer than `thresholdSeconds` (200 times what a reading
/// costs) is a stall. The loop touches no memory, so the stalls are not cache misses of ours.
/// On a pool whose workers take turns on the CPUs (`WorkerPool.isCrowded`) they would be our
/// own workers' turns, so `thinned scale` does not probe such a pool.
public struct HostStalls: Sendable, Codable, Equatable {
    /// The workers that probed, side by side.
    public let workers: Int
    /// The time probed, summed over the workers, in seconds.
    public let probedSeconds: Double
    /// The shortest gap counted as a stall, in seconds.
    public let thresholdSeconds: Double
    /// Stalls, over all workers.
    public let count: Int
    /// Their total length, in seconds.
    public let stalledSeconds: Double
    /// The longest, in seconds.
    public let longestSeconds: Double

    /// A measurement made elsewhere, or by hand.
    public init(workers: Int, probedSeconds: Double, thresholdSeconds: Double, count: Int, stalledSeconds: Double,
                longestSeconds: Double) {
        self.workers = workers
        self.probedSeconds = probedSeconds
        self.thresholdSeconds = thresholdSeconds
        self.count = count
        self.stalledSeconds = stalledSeconds
        self.longestSeconds = longestSeconds
    }

    /// Stalls per second of one worker's time.
    public var perSecond: Double { probedSeconds > 0 ? Double(count) / probedSeconds : 0 }
    /// The mean stall, in seconds (0 without stalls).
    public var meanSeconds: Double { count > 0 ? stalledSeconds / Double(count) : 0 }
    /// The fraction of a worker's time the host took.
    public var fraction: Double { probedSeconds > 0 ? stalledSeconds / probedSeconds : 0 }

    /// The stalls a worker meets, and their total length in seconds, in `seconds` of its work.
    public func expected(in seconds: Double) -> (count: Double, seconds: Double) {
        (perSecond * seconds, fraction * seconds)
    }

    /// The default threshold: 5 µs, some 200 clock readings.
    public static let defaultThresholdSeconds = 5e-6

    /// Several workers' probes as one: their stalls and times summed.
    public static func combined(_ parts: [HostStalls]) -> HostStalls {
        HostStalls(workers: parts.reduce(0) { $0 + $1.workers }, probedSeconds: parts.reduce(0) { $0 + $1.probedSeconds },
                   thresholdSeconds: parts.first?.thresholdSeconds ?? defaultThresholdSeconds,
                   count: parts.reduce(0) { $0 + $1.count }, stalledSeconds: parts.reduce(0) { $0 + $1.stalledSeconds },
                   longestSeconds: parts.map(\.longestSeconds).max() ?? 0)
    }

    /// Probes every worker of `pool`, side by side, for `seconds` each (`probe`).
    public static func measure(on pool: WorkerPool, seconds: Double = 0.2,
                               thresholdSeconds: Double = defaultThresholdSeconds) -> HostStalls {
        combined(pool.map { _ in probe(seconds: seconds, thresholdSeconds: thresholdSeconds) })
    }

    /// One worker's probe: reads `clock` (nanoseconds) in a loop until `seconds` have passed since
    /// the first reading, keeping the gaps longer than `thresholdSeconds`, not the readings (a
    /// stall-free probe of 0.2 s takes some 8 million).
    public static func probe(seconds: Double, thresholdSeconds: Double = defaultThresholdSeconds,
                             clock: () -> UInt64 = Clock.nanoseconds) -> HostStalls {
        // At least a nanosecond each (the clock's unit), and no length past what UInt64 nanoseconds hold.
        precondition(seconds >= 1e-9 && seconds <= 1e6 && thresholdSeconds >= 1e-9 && thresholdSeconds <= 1e6,
                     "HostStalls.probe: \(seconds) s with a threshold of \(thresholdSeconds) s")
        let threshold = UInt64(thresholdSeconds * 1e9), length = UInt64(seconds * 1e9)
        var count = 0, stalled: UInt64 = 0, longest: UInt64 = 0
        let start = clock()
        var previous = start
        while previous - start < length {
            // A clock that stepped back (not the monotonic one) counts no gap.
            let now = max(clock(), previous)
            let gap = now - previous
            if gap > threshold {
                count += 1
                stalled += gap
                longest = max(longest, gap)
            }
            previous = now
        }
        return HostStalls(workers: 1, probedSeconds: Double(previous - start) * 1e-9, thresholdSeconds: thresholdSeconds,
                          count: count, stalledSeconds: Double(stalled) * 1e-9, longestSeconds: Double(longest) * 1e-9)
    }
}
