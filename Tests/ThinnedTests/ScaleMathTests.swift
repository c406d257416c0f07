import Testing
@testable import Thinned

/// The scaling report's arithmetic on hand-made timings with known answers.
@Suite struct ScaleMathTests {
    static let tolerance = 1e-12

    @Test func speedupAndEfficiency() {
        #expect(ScaleMath.speedup(baseSeconds: 8, seconds: 2) == 4)
        #expect(ScaleMath.efficiency(speedup: 4, threads: 8) == 0.5)
        // Relative to a 2-worker baseline that is taken to have scaled perfectly.
        #expect(ScaleMath.speedup(baseSeconds: 4, baseThreads: 2, seconds: 1) == 8)
    }

    /// Timings from Amdahl's law with serial fraction 0.1 give Karp–Flatt e = 0.1 at every p,
    /// and the fit recovers a and b exactly.
    @Test func amdahlTimingsRecoverTheirSerialFraction() throws {
        let a = 0.1, b = 0.9
        let points = [1, 2, 4, 8, 16].map { (threads: $0, seconds: a + b / Double($0)) }
        for point in points.dropFirst() {
            let s = ScaleMath.speedup(baseSeconds: 1, seconds: point.seconds)
            #expect(abs(ScaleMath.karpFlatt(speedup: s, threads: point.threads)! - 0.1) < Self.tolerance)
        }
        let fit = try #require(ScaleMath.amdahlFit(points))
        #expect(abs(fit.serialSeconds - a) < Self.tolerance)
        #expect(abs(fit.parallelSeconds - b) < Self.tolerance)
        #expect(abs(fit.serialFraction - 0.1) < Self.tolerance)
        #expect(abs(fit.speedupCeiling! - 10) < 1e-9)
        #expect(abs(fit.seconds(threads: 3) - 0.4) < Self.tolerance)
    }

    @Test func perfectScalingHasNoSerialPartAndNoCeiling() throws {
        #expect(ScaleMath.karpFlatt(speedup: 4, threads: 4) == 0)
        #expect(ScaleMath.karpFlatt(speedup: 1, threads: 1) == nil)
        let fit = try #require(ScaleMath.amdahlFit([(1, 6.0), (2, 3.0), (3, 2.0)]))
        #expect(abs(fit.serialSeconds) < Self.tolerance)
        #expect(fit.speedupCeiling == nil || fit.speedupCeiling! > 1e9)
    }

    /// Least squares through points off the curve, computed by hand: p = 1, 2, 4, T = 5, 3.2, 1.9.
    @Test func leastSquaresOnNoisyPoints() throws {
        // x = 1/p = [1, 0.5, 0.25], mean 7/12; mean T = 10.1/3.
        // Sxy = Σ(x − x̄)(T − T̄) = 71/60, Sxx = 7/24, so b = 1704/420 = 4.0571…, a = T̄ − b·x̄ = 1.
        let fit = try #require(ScaleMath.amdahlFit([(1, 5), (2, 3.2), (4, 1.9)]))
        let meanX = 7.0 / 12, meanY = 10.1 / 3
        let sxy = (1 - meanX) * (5 - meanY) + (0.5 - meanX) * (3.2 - meanY) + (0.25 - meanX) * (1.9 - meanY)
        let sxx = (1 - meanX) * (1 - meanX) + (0.5 - meanX) * (0.5 - meanX) + (0.25 - meanX) * (0.25 - meanX)
        #expect(abs(fit.parallelSeconds - sxy / sxx) < Self.tolerance)
        #expect(abs(fit.serialSeconds - (meanY - sxy / sxx * meanX)) < Self.tolerance)
        #expect(abs(fit.parallelSeconds - 1704.0 / 420) < 1e-12)
        #expect(abs(fit.serialSeconds - 1) < 1e-12)
        #expect(ScaleMath.amdahlFit([(2, 1), (2, 1.1)]) == nil)
    }

    /// The reference model: P = 1 192 960 weights, P₀ = 401 408 in the first layer, so a step costs
    /// 6·P − 2·P₀ = 6 354 944 flops per sample (DESIGN.md's "about 6.4 MFLOP").
    @Test func referenceModelFlops() {
        #expect(ModelConfiguration.reference.trainingFlopsPerSample == 6_354_944)
    }

    @Test func medians() {
        #expect(ScaleMath.median([3, 1, 2]) == 2)
        #expect(ScaleMath.median([4, 1, 3, 2]) == 2.5)
    }
}
