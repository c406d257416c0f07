import Foundation
import Parallel
import Testing
import Thinned

/// The code of the DocC article "Running a step from Swift" (`Thinned.docc/RunningAStep.md`),
/// through the public API only, on synthetic data and a model small enough for a test: it must
/// compile as written there, and do what the article says it does.
@Suite(.serialized) struct DocumentationExampleTests {
    /// The article's example, on a pool of `threads` workers: the first step's loss and digest,
    /// then three epochs, a Monte-Carlo evaluation and a checkpoint.
    static func example(threads: Int) throws -> (loss: Float, digest: String, accuracy: Double, saved: Checkpoint) {
        let pool = try WorkerPool.start(threads: threads, bind: .close, places: .cores, oversubscribe: true).pool
        let data = DataSplit.synthetic(features: 784, classes: 10, trainCount: 400, testCount: 100, seed: 5)
        let model = ModelConfiguration(layers: [784, 72, 10], dropout: .inverted, inputDropRate: 0.2,
                                       hiddenDropRate: 0.5, initialization: .xavier)
        let configuration = TrainingConfiguration(model: model, optimizer: OptimizerConfiguration(kind: .adam),
                                                  batchSize: 100, epochs: 3, seed: 7)
        let trainer = try Trainer(configuration: configuration, data: data, pool: pool)

        while trainer.epoch < configuration.epochs {
            _ = try trainer.trainEpoch()
        }
        let evaluation = trainer.evaluate(data.test, rule: .monteCarlo(samples: 10))
        let folder = NSTemporaryDirectory() + "thinned-doc-example-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try trainer.checkpoint.write(to: folder)

        let stepper = try Trainer(configuration: configuration, data: data, pool: pool)
        let order = EpochOrder(count: data.train.count, batchSize: 100, epoch: 0, seed: configuration.seed)
        let loss = stepper.train(batch: order.batch(0))
        // "Such a trainer is not checkpointed": its one step is no position in an epoch.
        let error = #expect(throws: CheckpointError.self) { try stepper.checkpoint.write(to: folder + "-stepper") }
        #expect(error?.description.contains("1 updates in the first epoch, but step_in_epoch is 0") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: folder + "-stepper"))
        return (loss, stepper.weightsDigest, evaluation.accuracy, try Checkpoint(path: folder))
    }

    @Test func theArticlesExampleRunsAndIsTheSameOnAnyPool() throws {
        let one = try Self.example(threads: 1), two = try Self.example(threads: 2)
        #expect(one.loss.isFinite && one.loss > 0)
        // "The digest is the same on a pool of any size."
        #expect(one.digest == two.digest)
        #expect(one.accuracy == two.accuracy)
        // Three epochs of 4 steps, saved and read back.
        #expect(one.saved.epoch == 3 && one.saved.state.step == 12)
        // The synthetic classes are learnable: far above chance (10 %) after three epochs.
        #expect(one.accuracy > 0.5, "accuracy \(one.accuracy)")
    }
}
