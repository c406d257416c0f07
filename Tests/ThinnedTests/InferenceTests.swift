import Foundation
import Testing
import Parallel
@testable import Thinned

@Suite(.serialized) struct InferenceTests {
    /// The engine computes in Float: allow its rounding through two layers and the softmax,
    /// against the Double oracle.
    static let floatTolerance = 1e-5

    /// For one linear layer the expected logits over all masks equal the weight-scaling logits
    /// (for both scalings); through a hidden ReLU layer they do not. Both in Double, from the
    /// oracle: a property of the rules, not of the engine.
    @Test(arguments: [DropoutKind.inverted, .vanilla])
    func weightScalingIsExactForOneLinearLayerOnly(kind: DropoutKind) {
        let image: [Double] = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2]
        let linear = ModelConfiguration(layers: [6, 3], dropout: kind, inputDropRate: 0.3, hiddenDropRate: 0.5, initialization: .xavier)
        let one = linear.initialParameters(seed: 3).map(Double.init)
        let exact = ReferenceEnsemble.mean(model: linear, parameters: one, image: image).logits
        let scaled = ReferenceNetwork.weightScaled(linear).logits(parameters: one, image: image)
        for j in 0..<3 { #expect(abs(exact[j] - scaled[j]) < 1e-6 * max(1, abs(scaled[j])), "class \(j)") }

        let deep = ModelConfiguration(layers: [6, 5, 4, 3], dropout: kind, inputDropRate: 0.3, hiddenDropRate: 0.5, initialization: .he)
        let net = deep.initialParameters(seed: 3).map(Double.init)
        let deepExact = ReferenceEnsemble.mean(model: deep, parameters: net, image: image).logits
        let deepScaled = ReferenceNetwork.weightScaled(deep).logits(parameters: net, image: image)
        #expect(zip(deepExact, deepScaled).map { abs($0 - $1) }.max()! > 1e-3, "\(deepExact) vs \(deepScaled)")
    }

    /// The Float forward pass that makes every reported prediction, with the masks of each rule,
    /// against the Double oracle: the exact ensemble mean (every enumerated mask), weight scaling
    /// (no mask) and one Monte-Carlo pass (each item's masks drawn for inference, pass 0) — for
    /// unit masks of both scalings, no masks, and DropConnect's weight masks (no exact rule).
    @Test(arguments: [DropoutKind.inverted, .vanilla, .none, .dropconnect])
    func everyRuleMatchesTheDoubleOracle(kind: DropoutKind) throws {
        var model = Self.model
        model.dropout = kind
        let seed: UInt64 = 8, parameters = model.initialParameters(seed: 5)
        let test = Fixture.data.test.prefix(5), classes = model.classes
        let evaluator = Evaluator(network: Network(model: model, seed: seed), pool: try Fixture.pool(threads: 2, bind: .none))
        let scaled = evaluator.probabilities(test, parameters: parameters, rule: .weightScaling)
        let sampled = evaluator.probabilities(test, parameters: parameters, rule: .monteCarlo(samples: 1))
        let exact = model.maskKind == .weights ? nil : evaluator.probabilities(test, parameters: parameters, rule: .exact)
        let theta = parameters.map(Double.init)
        for i in 0..<test.count {
            let image = (0..<test.features).map { Double(test.images[i * test.features + $0]) }
            let oracles: [(String, [Float]?, [Double])] = [
                ("weight scaling", scaled, ReferenceNetwork.softmax(ReferenceNetwork.weightScaled(model).logits(parameters: theta, image: image))),
                ("Monte-Carlo", sampled, ReferenceNetwork.softmax(ReferenceNetwork(model: model, seed: seed, step: 0, sample: i, purpose: .inference)
                    .logits(parameters: theta, image: image))),
                ("exact", exact, ReferenceEnsemble.mean(model: model, parameters: theta, image: image).probabilities),
            ]
            for (rule, engine, oracle) in oracles {
                guard let engine else { continue }
                for j in 0..<classes {
                    #expect(abs(Double(engine[i * classes + j]) - oracle[j]) < Self.floatTolerance,
                            "\(kind), \(rule), item \(i), class \(j): engine \(engine[i * classes + j]), oracle \(oracle[j])")
                }
            }
        }
    }

    /// Every prediction is the first most probable class: ties go to the lowest index, NaN is
    /// passed over, a row of nothing but NaN predicts class 0 — and a member's vote is its
    /// prediction by the same rule.
    @Test func predictionIsTheFirstMostProbableClass() {
        #expect(Evaluation.prediction([0.2, 0.4, 0.4]) == (1, 0.4))
        #expect(Evaluation.prediction([.nan, 0.3, 0.7]) == (2, 0.7))
        #expect(Evaluation.prediction([.nan, .nan]).predicted == 0)
        #expect(Evaluation.prediction([.nan, .nan]).confidence == -.infinity)
        // One item, two classes: the first member's row starts with NaN, so it votes class 1.
        #expect(Ensemble.vote([[.nan, 0.6], [0.9, 0.1], [0.2, 0.8]], classes: 2) == [1])
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
                                  data: Fixture.data, pool: Fixture.pool(threads: 2, bind: .none))
        _ = try trainer.trainEpoch()
        return trainer.checkpoint
    }

    @Test func monteCarloIsRepeatableAndIndependentOfThreads() throws {
        let saved = try checkpoint()
        let one = try saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 7), pool: Fixture.pool(threads: 1, bind: .none))
        let three = try saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 7), pool: Fixture.pool(threads: 3, bind: .none))
        #expect(one == three)
        let other = try saved.probabilities(Fixture.data.test, rule: .monteCarlo(samples: 7), pool: Fixture.pool(threads: 2, bind: .none), seed: 99)
        #expect(one != other)
        for i in 0..<Fixture.data.test.count {
            #expect(abs(one[(i * 4)..<(i * 4 + 4)].reduce(0, +) - 1) < 1e-5)
        }
    }

    /// Many Monte-Carlo passes approach the exact ensemble mean of a tiny net (13 droppable units).
    @Test func monteCarloConvergesToTheExactMean() throws {
        let saved = try checkpoint()
        let pool = try Fixture.pool(threads: 2, bind: .none)
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
                                  data: Fixture.data, pool: Fixture.pool(threads: 2, bind: .none))
        _ = try trainer.trainEpoch()
        let saved = trainer.checkpoint, pool = try Fixture.pool(threads: 2, bind: .none)
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
