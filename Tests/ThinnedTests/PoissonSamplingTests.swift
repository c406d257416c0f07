import Foundation
import Testing
import Parallel
@testable import Thinned

/// Poisson sampling: the batches' law, and steps over batches of any size — larger and smaller
/// than the expected one, and empty — that agree between the engines and across pools.
@Suite(.serialized) struct PoissonSamplingTests {
    /// Each example in each step with probability q, independently: inclusion counts, batch
    /// sizes and the overlap of consecutive batches against their binomial laws (five standard
    /// errors).
    @Test func batchesFollowTheirBinomialLaws() {
        let n = 1000, b = 50, steps = 2000
        let sampler = PoissonBatches(count: n, batchSize: b, seed: 12)
        let q = sampler.samplingRate
        var included = [Int](repeating: 0, count: n), sizes: [Int] = [], overlaps = 0
        var previous: Set<Int32> = []
        for step in 1...steps {
            let batch = sampler.batch(step: step)
            #expect(batch == batch.sorted() && Set(batch).count == batch.count)
            for k in batch { included[Int(k)] += 1 }
            sizes.append(batch.count)
            overlaps += batch.filter(previous.contains).count
            previous = Set(batch)
        }
        #expect(sampler.batch(step: 7) == sampler.batch(step: 7))
        let meanSize = Double(sizes.reduce(0, +)) / Double(steps)
        let variance = sizes.reduce(0.0) { $0 + (Double($1) - meanSize) * (Double($1) - meanSize) } / Double(steps)
        let expectedVariance = Double(n) * q * (1 - q)
        #expect(abs(meanSize - Double(b)) < 5 * (expectedVariance / Double(steps)).squareRoot())
        #expect(abs(variance / expectedVariance - 1) < 5 * (2 / Double(steps)).squareRoot())
        // Every example's count is Binomial(steps, q): their mean is exact, their spread checked.
        let perExample = included.map(Double.init), mean = perExample.reduce(0, +) / Double(n)
        let spread = perExample.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(spread / (Double(steps) * q * (1 - q)) - 1) < 5 * (2 / Double(n)).squareRoot())
        // Consecutive batches overlap as independent draws do: n·q² examples per pair.
        let expectedOverlap = Double(n) * q * q * Double(steps - 1)
        #expect(abs(Double(overlaps) - expectedOverlap) < 5 * expectedOverlap.squareRoot())
        #expect(PoissonBatches(count: 30, batchSize: 30, seed: 1).batch(step: 3) == (0..<30).map(Int32.init))
    }

    /// One step of a trainer on the batch `indices` (any size), SGD at rate 1: θ₀ − θ₁.
    static func step(_ mode: GradientMode, indices: [Int32], privacy: PrivacyConfiguration?, pool: any ForkJoinExecutor,
                     capacity: Int? = nil) throws -> [Double] {
        var configuration = TrainingConfiguration(model: PrivacyStepTests.model(.inverted), optimizer: .init(kind: .sgd, learningRate: 1),
                                                  batchSize: PrivacyStepTests.batchSize, epochs: 1, seed: 21, gradientMode: mode,
                                                  shardSize: 50)
        configuration.privacy = privacy
        configuration.sampling = .poisson
        let trainer = try Trainer(configuration: configuration, data: PrivacyStepTests.data, pool: pool)
        let before = trainer.state.parameters
        trainer.train(batch: indices[...])
        return zip(before, trainer.state.parameters).map { Double($0) - Double($1) }
    }

    /// Batches below, at and above the expected 120 (past the engine's first capacity, so that it
    /// grows), fused against literal, and the same bits on 1 and 3 workers.
    @Test(arguments: [37, 120, 211])
    func stepsOverAnyBatchSizeAgree(count: Int) throws {
        let indices = (0..<count).map { Int32(($0 * 7) % PrivacyStepTests.data.train.count) }
        let privacy = PrivacyConfiguration(clipNorm: 0.5, noiseMultiplier: 1.1)
        let two = try Fixture.pool(threads: 2, bind: .none)
        let fused = try Self.step(.fused, indices: indices, privacy: privacy, pool: two)
        let literal = try Self.step(.literal, indices: indices, privacy: privacy, pool: two)
        #expect(PrivacyStepTests.relativeDifference(fused, literal) <= PrivacyStepTests.tolerance)
        for threads in [1, 3] {
            let other = try Self.step(.fused, indices: indices, privacy: privacy, pool: try Fixture.pool(threads: threads, bind: .none))
            #expect(other == fused, "\(threads) workers")
        }
    }

    /// The epoch's training loss is the mean over the samples its steps drew: each step's mean
    /// weighs by its batch's size, and an empty batch adds nothing (batch 1 of 20: q = 0.05,
    /// most steps empty).
    @Test func theEpochLossWeighsEachBatchBySize() throws {
        let data = DataSplit.synthetic(features: 7, classes: 4, trainCount: 20, testCount: 4, seed: 3)
        var configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .sgd, learningRate: 0.01), batchSize: 1,
                                                  epochs: 1, seed: 5, gradientMode: .fused, shardSize: 1)
        configuration.sampling = .poisson
        let trainer = try Trainer(configuration: configuration, data: data, pool: try Fixture.pool(threads: 2, bind: .none))
        let sampler = PoissonBatches(count: 20, batchSize: 1, seed: 5)
        var weighted = 0.0, empty = 0, step = 0
        let report = try #require(try trainer.trainEpoch(onStep: { report in
            step += 1
            let count = sampler.batch(step: step).count
            if count == 0 { empty += 1 }
            weighted += Double(report.loss) * Double(count)
        }))
        #expect(empty > 0)
        #expect(abs(report.trainLoss - weighted / Double(step)) <= 1e-12 * max(1, report.trainLoss))
    }

    /// An empty batch: nothing to average, so the step is its noise alone (divided by the
    /// expected batch size), or nothing at all without noise.
    @Test(arguments: [GradientMode.fused, .literal])
    func anEmptyBatchAddsOnlyNoise(mode: GradientMode) throws {
        let pool = try Fixture.pool(threads: 2, bind: .none)
        let quiet = try Self.step(mode, indices: [], privacy: PrivacyConfiguration(clipNorm: 0.5), pool: pool)
        #expect(quiet.allSatisfy { $0 == 0 })
        let privacy = PrivacyConfiguration(clipNorm: 0.5, noiseMultiplier: 2)
        let noisy = try Self.step(mode, indices: [], privacy: privacy, pool: pool)
        let scale = privacy.noiseMultiplier * Double(privacy.clipNorm) / Double(PrivacyStepTests.batchSize)
        let z = noisy.map { $0 / scale }, n = Double(z.count), mean = z.reduce(0, +) / n
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        #expect(abs(mean) < 5 / n.squareRoot() && abs(variance - 1) < 5 * (2 / n).squareRoot(), "mean \(mean), variance \(variance)")
    }
}
