import Parallel
import Testing
@testable import Thinned

/// A run whose loss stops being finite ends with `TrainingError.diverged`, at the first such step.
@Suite struct DivergenceTests {
    @Test func theFirstNonFiniteLossEndsTheRun() throws {
        let data = DataSplit.synthetic(features: 64, classes: 4, trainCount: 400, testCount: 20, seed: 2)
        let model = ModelConfiguration(layers: [64, 48, 4], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let configuration = TrainingConfiguration(model: model, optimizer: .init(kind: .sgd, learningRate: 1e12),
                                                  batchSize: 20, epochs: 3, seed: 1)
        let trainer = try Trainer(configuration: configuration, data: data, pool: Fixture.pool(threads: 2, bind: .none))
        var losses: [Float] = []
        let error = try #require(throws: TrainingError.self) {
            while trainer.epoch < configuration.epochs {
                _ = try trainer.trainEpoch(onStep: { losses.append($0.loss) })
            }
        }
        guard case let .diverged(epoch, step, loss) = error else { return }
        // The step reported is the first whose loss is not finite, and no step after it ran.
        #expect(!loss.isFinite)
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(trainer.state.step == (epoch - 1) * 20 + step)
        #expect(losses.count == trainer.state.step - 1)
        // The run cannot be continued by mistake.
        #expect(throws: TrainingError.self) { _ = try trainer.trainEpoch() }
        #expect(trainer.state.step == (epoch - 1) * 20 + step)
    }
}
