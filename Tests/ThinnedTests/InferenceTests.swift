import Foundation
import Testing
import Parallel
@testable import Thinned

@Suite(.serialized) struct InferenceTests {
    /// For one linear layer the expected logits over all masks equal the weight-scaling logits
    /// (for both scalings); through a hidden ReLU layer they do not.
    @Test(arguments: [DropoutKind.inverted, .vanilla])
    func weightScalingIsExactForOneLinearLayerOnly(kind: DropoutKind) {
        let image: [Double] = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2]
        let linear = ModelConfiguration(layers: [6, 3], dropout: kind, inputDropRate: 0.3, hiddenDropRate: 0.5, initialization: .xavier)
        let one = ExactEnsemble(model: linear, parameters: linear.initialParameters(seed: 3))
        let exact = one.mean(image: image).logits, scaled = one.weightScaled(image: image)
        for j in 0..<3 { #expect(abs(exact[j] - scaled[j]) < 1e-6 * max(1, abs(scaled[j])), "class \(j)") }

        let deep = ModelConfiguration(layers: [6, 5, 4, 3], dropout: kind, inputDropRate: 0.3, hiddenDropRate: 0.5, initialization: .he)
        let net = ExactEnsemble(model: deep, parameters: deep.initialParameters(seed: 3))
        let deepExact = net.mean(image: image).logits, deepScaled = net.weightScaled(image: image)
        #expect(zip(deepExact, deepScaled).map { abs($0 - $1) }.max()! > 1e-3, "\(deepExact) vs \(deepScaled)")
    }

    @Test func metricsOnHandMadeProbabilities() {
        // Three items, two classes: confident right, unsure right, confident wrong.
        let evaluation = Evaluation(probabilities: [0.9, 0.1, 0.4, 0.6, 0.8, 0.2], labels: [0, 1, 1], classes: 2)
        #expect(evaluation.correct == 2 && evaluation.count == 3)
        #expect(abs(evaluation.meanLoss - (-(log(0.9) + log(0.6) + log(0.2)) / 3)) < 1e-6)
        #expect(evaluation.confusion == [[1, 0], [1, 1]])
        // Bins of width 1/15: 0.9 → bin 13 (correct), 0.6 → bin 9 (correct), 0.8 → bin 12 (wrong).
        let gaps: [Double] = [1 - 0.9, 1 - 0.6, 0.8]
        let ece = gaps.reduce(0, +) / 3
        #expect(abs(evaluation.calibrationError - ece) < 1e-6)
    }

    static let model = ModelConfiguration(layers: [7, 6, 4], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                          initialization: .xavier)

    func checkpoint() throws -> Checkpoint {
        let trainer = try Trainer(configuration: TrainingConfiguration(model: Self.model, batchSize: 16, epochs: 1, seed: 2),
                                  data: Fixture.data, pool: WorkerPool(threads: 2))
        _ = try trainer.trainEpoch()
        return trainer.checkpoint
    }

    @Test func monteCarloIsRepeatableAndIndependentOfThreads() throws {
        let saved = try checkpoint()
        let one = try saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 7), pool: WorkerPool(threads: 1))
        let three = try saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 7), pool: WorkerPool(threads: 3))
        #expect(one == three)
        let other = try saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 7), pool: WorkerPool(threads: 2), seed: 99)
        #expect(one != other)
        for i in 0..<Fixture.data.test.count {
            #expect(abs(one[(i * 4)..<(i * 4 + 4)].reduce(0, +) - 1) < 1e-5)
        }
    }

    /// Many Monte-Carlo passes approach the exact ensemble mean of a tiny net (13 droppable units).
    @Test func monteCarloConvergesToTheExactMean() throws {
        let saved = try checkpoint()
        let pool = try WorkerPool(threads: 2)
        let test = Fixture.data.test.prefix(4)
        let exact = saved.probabilities(test, rule: .exact, pool: pool)
        let sampled = saved.probabilities(test, rule: .monteCarlo(samples: 4000), pool: pool)
        // Each mean of 4000 probabilities has a standard error below 0.5/√4000 ≈ 0.008.
        #expect(zip(exact, sampled).map { abs($0 - $1) }.max()! < 0.04)
    }

    /// Without dropout there is one network: every rule gives its prediction.
    @Test func withoutDropoutEveryRuleAgrees() throws {
        var model = Self.model
        model.dropout = .none
        let trainer = try Trainer(configuration: TrainingConfiguration(model: model, batchSize: 16, epochs: 1, seed: 2),
                                  data: Fixture.data, pool: WorkerPool(threads: 2))
        _ = try trainer.trainEpoch()
        let saved = trainer.checkpoint, pool = try WorkerPool(threads: 2)
        let scale = saved.probabilities(Fixture.data.test, rule: .weightScaling, pool: pool)
        let exact = saved.probabilities(Fixture.data.test, rule: .exact, pool: pool)
        let mc = saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 3), pool: pool)
        #expect(zip(scale, exact).map { abs($0 - $1) }.max()! < 1e-5)
        #expect(zip(scale, mc).map { abs($0 - $1) }.max()! < 1e-5)
    }

    /// Probabilities that are not numbers (weights gone non-finite) predict the first class, as
    /// ties do, and never trap in the calibration bins (they did: `Int(-Double.infinity)`).
    @Test func nonFiniteProbabilitiesAreScoredNotTrapped() {
        let evaluation = Evaluation(probabilities: [.nan, .nan, 0.2, 0.8, .nan, -.infinity], labels: [1, 1, 1], classes: 2)
        #expect(evaluation.count == 3)
        #expect(evaluation.correct == 1)
        #expect(evaluation.confusion[1] == [2, 1])
        #expect(evaluation.calibrationError.isFinite)
    }
}
