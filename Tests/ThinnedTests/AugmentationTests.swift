import Foundation
import Testing
import Parallel
@testable import Thinned

@Suite struct AugmentationTests {
    /// A 5 × 5 image with one bright pixel at row 1, column 1 and a dimmer one at row 3, column 0.
    static let pattern: [Float] = {
        var image = [Float](repeating: 0, count: 25)
        image[1 * 5 + 1] = 1
        image[3 * 5 + 0] = 0.5
        return image
    }()

    func transformed(_ p: Augmentation.Parameters, _ image: [Float] = pattern) -> [Float] {
        var out = [Float](repeating: -1, count: image.count)
        image.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { Augmentation.apply(p, side: 5, source: source.baseAddress!, destination: $0.baseAddress!) }
        }
        return out
    }

    @Test func shiftMovesTheKnownPattern() {
        let out = transformed(.init(dx: 2, dy: 1))
        var expected = [Float](repeating: 0, count: 25)
        expected[2 * 5 + 3] = 1        // (1, 1) + (1, 2)
        expected[4 * 5 + 2] = 0.5      // (3, 0) + (1, 2)
        #expect(out == expected)
        // Shifted out of the image: gone, and zeros come in.
        #expect(transformed(.init(dx: -1)).reduce(0, +) == 1)
    }

    @Test func rotationByZeroAndByAFullTurnIsTheIdentity() {
        #expect(transformed(.init(degrees: 0)) == Self.pattern)
        let turned = transformed(.init(degrees: 360))
        #expect(zip(turned, Self.pattern).allSatisfy { abs($0 - $1) < 1e-5 })
        // A quarter turn of a 5 × 5 image moves pixel (row 1, column 1) to (row 1, column 3).
        let quarter = transformed(.init(degrees: 90))
        #expect(abs(quarter[1 * 5 + 3] - 1) < 1e-5)
    }

    @Test func flipTwiceIsTheIdentity() {
        let once = transformed(.init(flip: true))
        #expect(once[1 * 5 + 3] == 1 && once[3 * 5 + 4] == 0.5)
        #expect(transformed(.init(flip: true), once) == Self.pattern)
    }

    @Test func eraseBlanksItsRectangle() {
        let image = [Float](repeating: 1, count: 25)
        let out = transformed(.init(erase: (rows: 1..<3, columns: 2..<5)), image)
        #expect(out.filter { $0 == 0 }.count == 6)
        #expect(out[1 * 5 + 2] == 0 && out[2 * 5 + 4] == 0 && out[0] == 1 && out[3 * 5 + 2] == 1)
    }

    @Test func parametersArePureFunctionsOfSeedEpochAndItem() {
        let all = Augmentation(transforms: Set(Augmentation.Transform.allCases), shiftPixels: 3, rotateDegrees: 20, eraseSize: 4)
        let p = all.parameters(seed: 1, epoch: 2, item: 3, side: 28)
        #expect(p == all.parameters(seed: 1, epoch: 2, item: 3, side: 28))
        let others = [all.parameters(seed: 1, epoch: 3, item: 3, side: 28), all.parameters(seed: 1, epoch: 2, item: 4, side: 28),
                      all.parameters(seed: 2, epoch: 2, item: 3, side: 28)]
        #expect(others.allSatisfy { $0 != p })
        #expect(abs(p.degrees) <= 20 && abs(p.dx) <= 3 && abs(p.dy) <= 3)
        // Only the chosen transforms act.
        let shiftOnly = Augmentation(transforms: [.shift], shiftPixels: 3).parameters(seed: 1, epoch: 2, item: 3, side: 28)
        #expect(!shiftOnly.flip && shiftOnly.degrees == 0 && shiftOnly.erase == nil)
    }

    @Test func augmentedTrainingIsBitwiseIdenticalForAnyPool() throws {
        let data = DataSplit.synthetic(features: 16, classes: 3, trainCount: 48, testCount: 8, seed: 4)
        var configuration = TrainingConfiguration(model: ModelConfiguration(layers: [16, 8, 3], dropout: .inverted, inputDropRate: 0.2,
                                                                            hiddenDropRate: 0.5, initialization: .xavier),
                                                  batchSize: 12, epochs: 2, seed: 4, shardSize: 5)
        configuration.augmentation = Augmentation(transforms: Set(Augmentation.Transform.allCases), shiftPixels: 1, rotateDegrees: 30,
                                                  eraseSize: 2)
        func digest(_ threads: Int, _ mode: GradientMode) throws -> String {
            var c = configuration
            c.gradientMode = mode
            let trainer = try Trainer(configuration: c, data: data, pool: Fixture.pool(threads: threads, bind: .close))
            while trainer.epoch < 2 { _ = try trainer.trainEpoch() }
            return trainer.weightsDigest
        }
        let reference = try digest(1, .fused)
        for threads in [2, 3] { #expect(try digest(threads, .fused) == reference) }
        var plain = configuration
        plain.augmentation = .none
        let unaugmented = try Trainer(configuration: plain, data: data, pool: Fixture.pool(threads: 1, bind: .none))
        while unaugmented.epoch < 2 { _ = try unaugmented.trainEpoch() }
        #expect(unaugmented.weightsDigest != reference)
        let literal = try digest(2, .literal)
        #expect(literal == (try digest(1, .literal)))
    }
}

@Suite(.serialized) struct EnsembleTests {
    @Test func bootstrapIsReproduciblePerMember() {
        let train = Fixture.data.train
        let a = Ensemble.bootstrap(train, member: 0, seed: 9), again = Ensemble.bootstrap(train, member: 0, seed: 9)
        let b = Ensemble.bootstrap(train, member: 1, seed: 9)
        #expect(a.labels == again.labels && a.images == again.images)
        #expect(a.images != b.images)
        #expect(a.count == train.count)
        // With replacement: some items repeat (P(no repeat in 64 draws of 64) ≈ 1e-27).
        #expect(Set(stride(from: 0, to: a.images.count, by: a.features).map { a.images[$0..<($0 + a.features)] }).count < a.count)
    }

    @Test func voteTiesGoToTheMostSummedProbabilityThenTheLowestClass() {
        // Two members, three classes, one item: member 1 votes 0, member 2 votes 2 — a tie.
        let members: [[Float]] = [[0.5, 0.1, 0.4], [0.05, 0.35, 0.6]]
        #expect(Ensemble.vote(members, classes: 3) == [2])            // mass: 0.55, 0.45, 1.0
        let even: [[Float]] = [[0.6, 0.4, 0], [0.4, 0.6, 0]]
        #expect(Ensemble.vote(even, classes: 3) == [0])               // equal votes and mass: lowest class
        let majority: [[Float]] = [[0.1, 0.9], [0.2, 0.8], [0.99, 0.01]]
        #expect(Ensemble.vote(majority, classes: 2) == [1])
        #expect(Ensemble.average([[0.2, 0.8], [0.6, 0.4]]) == [0.4, 0.6])
    }

    /// Three members that differ by seed: their averaged prediction is at least as accurate as
    /// the mean member.
    @Test func ensembleIsAtLeastAsAccurateAsItsMeanMember() throws {
        let data = DataSplit.synthetic(features: 20, classes: 5, trainCount: 200, testCount: 300, seed: 6)
        let pool = try Fixture.pool(threads: 2, bind: .none)
        var outputs: [[Float]] = []
        for member in 0..<3 {
            let configuration = TrainingConfiguration(model: ModelConfiguration(layers: [20, 6, 5], dropout: .inverted, inputDropRate: 0.2,
                                                                                hiddenDropRate: 0.5, initialization: .xavier),
                                                      optimizer: .init(kind: .adam, learningRate: 0.01), batchSize: 20, epochs: 2,
                                                      seed: Ensemble.seed(6, member: member))
            let trainer = try Trainer(configuration: configuration, data: data, pool: pool)
            while trainer.epoch < 2 { _ = try trainer.trainEpoch() }
            outputs.append(trainer.checkpoint.probabilities(data.test, rule: .weightScaling, pool: pool))
        }
        let accuracies = outputs.map { Evaluation(probabilities: $0, labels: data.test.labels, classes: 5).accuracy }
        let ensemble = Evaluation(probabilities: Ensemble.average(outputs), labels: data.test.labels, classes: 5).accuracy
        #expect(accuracies.max()! < 1, "members too good to tell: \(accuracies)")
        #expect(ensemble >= accuracies.reduce(0, +) / 3, "ensemble \(ensemble), members \(accuracies)")
    }
}
