/// The arithmetic of a scaling study: speedup, parallel efficiency, the Karp–Flatt metric and an
/// Amdahl fit, from step times measured at several worker counts.
public enum ScaleMath {
    /// S(p) = T(base) / T(p) × base: how many times faster than one worker, assuming the
    /// baseline count `base` (normally 1) scaled perfectly.
    public static func speedup(baseSeconds: Double, baseThreads: Int = 1, seconds: Double) -> Double {
        precondition(seconds > 0 && baseSeconds > 0, "ScaleMath.speedup: times must be positive")
        return baseSeconds / seconds * Double(baseThreads)
    }

    /// E(p) = S(p) / p.
    public static func efficiency(speedup: Double, threads: Int) -> Double {
        speedup / Double(threads)
    }

    /// The Karp–Flatt experimentally determined serial fraction, e = (1/S − 1/p) / (1 − 1/p)
    /// (Karp & Flatt, CACM 1990); nil for p = 1, where it is undefined.
    public static func karpFlatt(speedup: Double, threads: Int) -> Double? {
        guard threads > 1 else { return nil }
        let p = Double(threads)
        return (1 / speedup - 1 / p) / (1 - 1 / p)
    }

    /// The least-squares fit of Amdahl's law T(p) = a + b/p to measured (p, T) points.
    public struct AmdahlFit: Sendable, Codable, Equatable {
        /// a: the time that does not shrink with more workers, in seconds.
        public let serialSeconds: Double
        /// b: the time that divides among workers, in seconds.
        public let parallelSeconds: Double

        /// f = a / (a + b), the serial fraction of one worker's time (clamped to [0, 1]).
        public var serialFraction: Double {
            let total = serialSeconds + parallelSeconds
            return total > 0 ? min(1, max(0, serialSeconds / total)) : 0
        }

        /// The speedup no number of workers can pass: 1 / f (nil when f = 0: no ceiling).
        public var speedupCeiling: Double? {
            serialFraction > 0 ? 1 / serialFraction : nil
        }

        /// The fitted time at `threads` workers.
        public func seconds(threads: Int) -> Double { serialSeconds + parallelSeconds / Double(threads) }
    }

    /// Fits T(p) = a + b/p by ordinary least squares in x = 1/p; nil with fewer than two distinct
    /// worker counts.
    /// - Complexity: O(points).
    public static func amdahlFit(_ points: [(threads: Int, seconds: Double)]) -> AmdahlFit? {
        guard Set(points.map(\.threads)).count >= 2 else { return nil }
        let n = Double(points.count)
        let xs = points.map { 1 / Double($0.threads) }, ys = points.map(\.seconds)
        let meanX = xs.reduce(0, +) / n, meanY = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - meanX) * (y - meanY)
            sxx += (x - meanX) * (x - meanX)
        }
        let b = sxy / sxx
        return AmdahlFit(serialSeconds: meanY - b * meanX, parallelSeconds: b)
    }

    /// The median of `values` (the mean of the middle two for an even count).
    public static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "ScaleMath.median: no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
