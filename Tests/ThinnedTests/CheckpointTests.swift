import Foundation
import Testing
import Parallel
@testable import Thinned

@Suite(.serialized) struct CheckpointTests {
    static func temporaryPath() -> String { NSTemporaryDirectory() + "thinned-checkpoint-\(UUID().uuidString).safetensors" }

    /// A checkpoint after a few steps of the fixture model with `optimizer`.
    static func trained(_ optimizer: OptimizerKind, steps: Int = 3) throws -> Trainer {
        let trainer = try Trainer(configuration: TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: optimizer),
                                                                       batchSize: 16, epochs: 2, seed: 5),
                                  data: Fixture.data, pool: WorkerPool(threads: 2))
        _ = try trainer.trainEpoch(shouldStop: { trainer.stepInEpoch >= steps })
        return trainer
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
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let file = try SafeTensors(decoding: bytes, path: path)
        #expect(file["3.weight"]?.shape == [5, 6] && file["6.weight"]?.shape == [4, 5] && file["6.bias"]?.shape == [4])
        #expect(file["optimizer.step"]?.values == (optimizer == .adam ? [3] : nil))
    }

    @Test func safeTensorsRoundTrip() throws {
        let file = SafeTensors(tensors: [.init(name: "a", shape: [2, 3], values: [1, -2, 3.5, 0, .infinity, -0.0]),
                                         .init(name: "b \"quoted\"", shape: [0], values: []),
                                         .init(name: "c", shape: [], values: [42])],
                               metadata: ["note": "line\nbreak", "x": "1"])
        let decoded = try SafeTensors(decoding: file.encoded(), path: "memory")
        #expect(decoded.metadata == file.metadata)
        for tensor in file.tensors {
            #expect(decoded[tensor.name]?.shape == tensor.shape)
            #expect(decoded[tensor.name]?.values.map(\.bitPattern) == tensor.values.map(\.bitPattern))
        }
    }

    /// Builds a file from a header written by hand and `dataBytes` bytes of data.
    static func file(header: String, dataBytes: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    @Test func corruptedFilesGiveClearErrors() throws {
        func error(_ data: Data) -> String {
            do { _ = try SafeTensors(decoding: data, path: "bad.safetensors"); return "no error" } catch { return error.description }
        }
        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        huge.append(Data(count: 64))
        #expect(error(huge) == "bad.safetensors: header length 1099511627776 does not fit in the 64 bytes after it")
        #expect(error(Data([1, 2, 3])) == "bad.safetensors: not a safetensors file: 3 bytes, expected at least 8")
        #expect(error(Self.file(header: "{\"a\": [", dataBytes: 0)) == "bad.safetensors: bad safetensors header: not valid JSON")
        #expect(error(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12))
                == "bad.safetensors: tensors 'a' and 'b' overlap")
        #expect(error(Self.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8))
                == "bad.safetensors: tensor 'a': shape [3] needs 12 bytes, data_offsets give 8")
        #expect(error(Self.file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8))
                == "bad.safetensors: tensor 'a': data_offsets [0, 16] outside the 8 data bytes")
        #expect(error(Self.file(header: #"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, dataBytes: 8))
                == "bad.safetensors: tensor 'a': dtype F16, expected F32")
    }

    @Test func wrongShapesAndMissingFieldsAreNamed() throws {
        let trainer = try Self.trained(.adam)
        var file = trainer.checkpoint.safeTensors
        let index = file.tensors.firstIndex { $0.name == "3.weight" }!
        file.tensors[index] = .init(name: "3.weight", shape: [6, 5], values: [Float](repeating: 0, count: 30))
        #expect(throws: CheckpointError.shapeMismatch(path: "f", name: "3.weight", found: [6, 5], expected: [5, 6])) {
            try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f")
        }
        file = trainer.checkpoint.safeTensors
        file.tensors.removeAll { $0.name == "optimizer.exp_avg_sq.0.bias" }
        #expect(throws: CheckpointError.missingTensor(path: "f", name: "optimizer.exp_avg_sq.0.bias")) {
            try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f")
        }
        file = trainer.checkpoint.safeTensors
        file.metadata["seed"] = "minus one"
        #expect(throws: CheckpointError.badMetadata(path: "f", field: "seed", reason: "'minus one' is not a UInt64")) {
            try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f")
        }
    }

    /// A crash mid-write leaves a temporary file beside the checkpoint, never a half-written one in
    /// its place: the previous checkpoint stays readable.
    @Test func interruptedWriteLeavesThePreviousCheckpoint() throws {
        let trainer = try Self.trained(.momentum)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.checkpoint.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp-999999"
        _ = FileManager.default.createFile(atPath: temporary, contents: before.prefix(before.count / 2))
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try Checkpoint(path: path).state.parameters == trainer.state.parameters)
        #expect(throws: CheckpointError.unwritable(path: "/proc/none/x.safetensors", reason: "No such file or directory")) {
            try trainer.checkpoint.write(to: "/proc/none/x.safetensors")
        }
    }

    /// Stopped after epoch 1 and resumed with another pool, or stopped mid-epoch: the same bits as
    /// the run that was never stopped.
    @Test(arguments: [(3, 1), (9, 2), (4, 3)])
    func resumedRunEqualsTheUninterruptedOne(stopAt: Int, threadsAfter: Int) throws {
        let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .adam), batchSize: 16, epochs: 3, seed: 5)
        let straight = try Trainer(configuration: configuration, data: Fixture.data, pool: WorkerPool(threads: 2))
        while straight.epoch < 3 { _ = try straight.trainEpoch() }

        let first = try Trainer(configuration: configuration, data: Fixture.data, pool: WorkerPool(threads: 1))
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
