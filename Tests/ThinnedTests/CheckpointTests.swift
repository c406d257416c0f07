import Foundation
import Testing
import Parallel
@testable import Thinned

/// Checkpoints as folders: what they hold, the PyTorch layout, exact resume, older files.
@Suite(.serialized) struct CheckpointTests {
    static func temporaryPath() -> String { NSTemporaryDirectory() + "thinned-checkpoint-\(UUID().uuidString)" }

    /// A single-file checkpoint (format 1) written by the thinned of commit 684829e:
    /// `thinned train --data synthetic --layers 784,3,10 --limit 200 --batch 50 --epochs 1 --seed 7`,
    /// which printed `weights sha256: 9c125d11…`.
    static let legacyFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/legacy-v1.safetensors").standardized.path
    static let legacyDigest = "9c125d11aa0dc9ccbda7a9b17ef1955ceaa764410a060a867ec7f381017ff094"

    /// A checkpoint after a few steps of the fixture model with `optimizer`.
    static func trained(_ optimizer: OptimizerKind, steps: Int = 3) throws -> Trainer {
        let trainer = try Trainer(configuration: TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: optimizer),
                                                                       batchSize: 16, epochs: 2, seed: 5),
                                  data: Fixture.data, pool: Fixture.pool(threads: 2, bind: .none))
        trainer.dataIdentity = DatasetIdentity(Fixture.data, source: "synthetic", limit: 80)
        _ = try trainer.trainEpoch(shouldStop: { trainer.stepInEpoch >= steps })
        return trainer
    }

    static func read(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// What `body` throws, as its message ("no error" when it throws nothing).
    static func failure(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test(arguments: OptimizerKind.allCases)
    func roundTripKeepsEveryTensorAndField(optimizer: OptimizerKind) throws {
        let trainer = try Self.trained(optimizer)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.checkpoint.write(to: path)
        let read = try Checkpoint(path: path)
        #expect(read.configuration == trainer.configuration)
        #expect(read.state.parameters == trainer.state.parameters)
        #expect(read.state.firstMoment == trainer.state.firstMoment)
        #expect(read.state.secondMoment == trainer.state.secondMoment)
        #expect(read.state.step == 3 && read.epoch == 0 && read.stepInEpoch == 3)
        #expect(read.epochLossSum == trainer.epochLossSum)
        #expect(read.dataIdentity == trainer.dataIdentity && read.dataIdentity?.limit == 80)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                == ["model.safetensors", "optimizer.safetensors", "trainer_state.json"])
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)
        #expect(Self.failure { _ = try Checkpoint(path: path + "/model.safetensors") }
                == "\(path)/model.safetensors: cannot read the checkpoint: this is one file of the checkpoint folder \(path); give the folder")
    }

    /// `model.safetensors` holds exactly the `state_dict` of `nn.Sequential(Linear(7, 6), ReLU(),
    /// Dropout(), Linear(6, 5), ReLU(), Dropout(), Linear(5, 4))`, so a strict load succeeds; the
    /// optimizer's state is beside it, named as PyTorch's optimizers name it.
    @Test func modelFileLoadsStrictlyIntoNNSequential() throws {
        let trainer = try Self.trained(.adam)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.checkpoint.write(to: path)
        let bytes = try Self.read(path + "/model.safetensors")
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let model = try SafeTensors(decoding: bytes, path: "model")
        #expect(Set(model.tensors.map(\.name)) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"])
        #expect(model["0.weight"]?.shape == [6, 7] && model["3.weight"]?.shape == [5, 6] && model["6.bias"]?.shape == [4])
        #expect(model["3.weight"]?.values == Array(trainer.state.parameters[trainer.state.layout.layers[1].weights]))
        let optimizer = try SafeTensors(decoding: Self.read(path + "/optimizer.safetensors"), path: "optimizer")
        #expect(optimizer.tensors.count == 13 && optimizer["step"]?.values == [3])
        #expect(optimizer["exp_avg_sq.6.weight"]?.values == Array(trainer.state.secondMoment[trainer.state.layout.layers[2].weights]))
        // Any JSON reader (Python's json, Foundation's) reads the trainer state.
        let state = try #require(try JSONSerialization.jsonObject(with: Self.read(path + "/trainer_state.json")) as? [String: Any])
        #expect(state["format_version"] as? Int == 2 && state["step"] as? Int == 3)
        #expect((state["configuration"] as? [String: Any])?["layers"] as? [Int] == [7, 6, 5, 4])
    }

    /// Format 1, as an older thinned wrote it, still reads, to the same bits.
    @Test func singleFileCheckpointsOfFormatOneAreStillRead() throws {
        let legacy = try Checkpoint(path: Self.legacyFile)
        #expect(legacy.configuration.model.layers == [784, 3, 10] && legacy.configuration.seed == 7)
        #expect(legacy.epoch == 1 && legacy.state.step == 4 && legacy.stepInEpoch == 0)
        #expect(Trainer.digest(legacy.state.parameters) == Self.legacyDigest)
        #expect(legacy.state.firstMoment.count == legacy.state.parameters.count && legacy.dataIdentity == nil)
        // Saved again as a folder, it reads back the same.
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try legacy.write(to: path)
        #expect(Trainer.digest(try Checkpoint(path: path).state.parameters) == Self.legacyDigest)
    }

    /// A save over a single-file checkpoint replaces it with a folder.
    @Test func savingOverASingleFileCheckpointReplacesIt() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.copyItem(atPath: Self.legacyFile, toPath: path)
        let trainer = try Self.trained(.momentum)
        try Checkpoint.prepareDestination(path)
        try trainer.checkpoint.write(to: path)
        #expect(try Checkpoint(path: path).state.parameters == trainer.state.parameters)
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)
    }

    /// A state with a NaN is refused, naming the tensor and the index, and the last good
    /// checkpoint stays as it was.
    @Test func nonFiniteStateIsNotWrittenAndTheLastGoodCheckpointStays() throws {
        let trainer = try Self.trained(.adam)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.checkpoint.write(to: path)
        let before = try Self.read(path + "/model.safetensors")
        var diverged = trainer.checkpoint
        let layer = diverged.state.layout.layers[1]
        diverged.state.parameters[layer.weights.lowerBound + 7] = .nan
        // (NaN is not equal to itself, so the errors are compared by what they say.)
        #expect(Self.failure { try diverged.write(to: path) } == "\(path): tensor '3.weight' holds nan at index 7; a checkpoint holds finite values only")
        diverged = trainer.checkpoint
        diverged.state.secondMoment[layer.bias.lowerBound + 2] = .infinity
        #expect(Self.failure { try diverged.write(to: path) } == "\(path): tensor 'exp_avg_sq.3.bias' holds inf at index 2; a checkpoint holds finite values only")
        // The loss sum is a field of the trainer state, not a tensor, and is named as one.
        diverged = trainer.checkpoint
        diverged.epochLossSum = -.infinity
        #expect(Self.failure { try diverged.write(to: path) } == "\(path): field 'epoch_loss_sum' is -inf; a checkpoint holds finite values only")
        #expect(try Self.read(path + "/model.safetensors") == before)
        #expect(try Checkpoint(path: path).state.parameters == trainer.state.parameters)
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)
    }

    /// One NaN in `0.weight` of a file on disk: refused on reading, naming the tensor and index.
    @Test func nonFiniteValueInAFileIsRefused() throws {
        let trainer = try Self.trained(.sgd)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.checkpoint.write(to: path)
        var model = trainer.checkpoint.modelFile
        var weights = model.tensors[0].values
        weights[11] = .nan
        model.tensors[0] = .init(name: "0.weight", shape: [6, 7], values: weights)
        try model.encoded().write(to: URL(fileURLWithPath: path + "/model.safetensors"))
        #expect(Self.failure { _ = try Checkpoint(path: path) }
                == "\(path)/model.safetensors: tensor '0.weight' holds nan at index 11; a checkpoint holds finite values only")
    }

    /// Stopped after epoch 1 and resumed with another pool, or stopped mid-epoch: the same bits as
    /// the run that was never stopped.
    @Test(arguments: [(3, 1), (9, 2), (4, 3)])
    func resumedRunEqualsTheUninterruptedOne(stopAt: Int, threadsAfter: Int) throws {
        let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .adam), batchSize: 16, epochs: 3, seed: 5)
        let straight = try Trainer(configuration: configuration, data: Fixture.data, pool: Fixture.pool(threads: 2, bind: .none))
        while straight.epoch < 3 { _ = try straight.trainEpoch() }

        let first = try Trainer(configuration: configuration, data: Fixture.data, pool: Fixture.pool(threads: 1, bind: .none))
        while first.epoch < 3, first.state.step < stopAt {
            _ = try first.trainEpoch(shouldStop: { first.state.step >= stopAt })
        }
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try first.checkpoint.write(to: path)
        let resumed = try Trainer(configuration: configuration, data: Fixture.data, pool: Fixture.pool(threads: threadsAfter, bind: .spread),
                                  resumingFrom: Checkpoint(path: path))
        while resumed.epoch < 3 { _ = try resumed.trainEpoch() }
        #expect(resumed.weightsDigest == straight.weightsDigest)
        #expect(resumed.state.firstMoment == straight.state.firstMoment)
    }
}
