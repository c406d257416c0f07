import Foundation
import Testing
import Parallel
@testable import Thinned

/// The per-sample statistics of an epoch: the estimator of B_simple against gradients of known
/// mean and covariance, quantiles by hand, and the engines' figures against each other.
@Suite struct PerSampleStatisticsTests {
    /// Per-sample gradients drawn i.i.d. from N(μ, s²I) in d dimensions have tr(Σ) = d·s² and
    /// |G|² = |μ|², so B_simple = d·s²/|μ|²; the estimator is unbiased in numerator and
    /// denominator, so over many steps it converges to that — also for batches whose size varies
    /// around the expected one (Poisson sampling), whose sums the engine divides by the expected
    /// size.
    @Test(arguments: [false, true])
    func noiseScaleConvergesToTheTrueOne(variableBatches: Bool) {
        let d = 50, batch = 20, steps = 4000, s = 0.5
        var stream = RandomStream(Philox(seed: 9), .syntheticData)
        let mu = (0..<d).map { _ in Double(stream.nextUniform()) - 0.25 }
        func normal() -> Double {
            let u1 = Double(stream.next() >> 8 + 1) * 0x1p-24, u2 = Double(stream.nextUniform())
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        var accumulator = PerSampleAccumulator(batchSize: batch, clipNorm: nil)
        var norms = [Float](repeating: 0, count: 2 * batch)
        for step in 0..<steps {
            let count = variableBatches ? batch / 2 + step % (batch + 1) : batch
            var sum = [Double](repeating: 0, count: d)
            for i in 0..<count {
                let g = mu.map { $0 + s * normal() }
                norms[i] = Float(g.reduce(0) { $0 + $1 * $1 }.squareRoot())
                for k in 0..<d { sum[k] += g[k] }
            }
            norms.withUnsafeBufferPointer {
                accumulator.add(norms: $0.baseAddress!, count: count,
                                batchGradientSquaredNorm: sum.reduce(0) { $0 + ($1 / Double(batch)) * ($1 / Double(batch)) })
            }
        }
        let expected = Double(d) * s * s / mu.reduce(0) { $0 + $1 * $1 }
        let estimated = accumulator.statistics()!.noiseScale!
        // 4000 steps of 20 samples: a few percent of sampling error.
        #expect(abs(estimated - expected) / expected < 0.05, "estimated \(estimated), true \(expected)")
    }

    @Test func quantilesInterpolateAndClippingCounts() {
        var accumulator = PerSampleAccumulator(batchSize: 5, clipNorm: 3.5)
        let norms: [Float] = [4, 1, 5, 2, 3]
        norms.withUnsafeBufferPointer { accumulator.add(norms: $0.baseAddress!, count: 5, batchGradientSquaredNorm: 1) }
        let statistics = accumulator.statistics()!
        #expect(statistics.normQuantiles == [1, 1.4, 3, 4.6, 5])
        #expect(statistics.clippedFraction == 0.4)
        #expect(statistics.samples == 5)
    }

    /// Both engines report the same statistics, and measuring them changes no bits.
    @Test(arguments: [nil, PrivacyConfiguration(clipNorm: 0.5)])
    func enginesAgreeAndBitsStay(privacy: PrivacyConfiguration?) throws {
        let pool = try Fixture.pool(threads: 2, bind: .none)
        func run(_ mode: GradientMode, statistics: Bool) throws -> (PerSampleStatistics?, String) {
            var configuration = TrainingConfiguration(model: PrivacyStepTests.model(.inverted), optimizer: .init(kind: .sgd),
                                                      batchSize: 60, epochs: 1, seed: 4, gradientMode: mode, shardSize: 50)
            configuration.privacy = privacy
            let trainer = try Trainer(configuration: configuration, data: PrivacyStepTests.data, pool: pool,
                                      perSampleStatistics: statistics)
            let report = try trainer.trainEpoch()!
            return (report.perSample, trainer.weightsDigest)
        }
        let fused = try run(.fused, statistics: true), literal = try run(.literal, statistics: true)
        let plain = try run(.fused, statistics: false)
        #expect(fused.1 == plain.1)
        #expect(plain.0 == nil)
        let f = try #require(fused.0), l = try #require(literal.0)
        #expect(f.samples == 240 && l.samples == 240)
        for (a, b) in zip(f.normQuantiles, l.normQuantiles) { #expect(abs(a - b) <= 1e-5 * b) }
        #expect(f.clippedFraction == l.clippedFraction)
        #expect((privacy == nil) == (f.clippedFraction == nil))
        let fs = try #require(f.noiseScale), ls = try #require(l.noiseScale)
        #expect(abs(fs - ls) <= 1e-4 * ls)
    }
}
