import Foundation
import Testing
@testable import Thinned

/// Crafted checkpoints: sizes checked before anything is allocated, tensors the model has no
/// place for, and a trainer state read strictly.
@Suite(.serialized) struct CheckpointValidationTests {
    /// A written checkpoint folder whose `trainer_state.json` is then edited by `edit`.
    static func folder(editing edit: (String) -> String) throws -> String {
        let path = CheckpointTests.temporaryPath()
        try CheckpointTests.trained(.adam).checkpoint.write(to: path)
        let file = URL(fileURLWithPath: path + "/trainer_state.json")
        try Data(edit(String(decoding: try Data(contentsOf: file), as: UTF8.self)).utf8).write(to: file)
        return path
    }

    static func failure(editing edit: (String) -> String) throws -> String {
        let path = try folder(editing: edit)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return CheckpointTests.failure { _ = try Checkpoint(path: path) }.replacingOccurrences(of: path, with: "DIR")
    }

    /// `layers: 784,100000000,10` would allocate 318 GB: the tensors' shapes are found wrong first.
    @Test func hugeLayersAreRefusedBeforeAllocating() throws {
        #expect(try Self.failure { $0.replacingOccurrences(of: #""layers":[7,6,5,4]"#, with: #""layers":[7,100000000,5,4]"#) }
                == "DIR/model.safetensors: tensor '0.weight' has shape [6, 7], expected [100000000, 7]")
        #expect(try Self.failure { $0.replacingOccurrences(of: #""layers":[7,6,5,4]"#, with: #""layers":[7,4294967296,4294967296,4]"#) }
                == "DIR/trainer_state.json: metadata 'configuration': --layers 7,4294967296,4294967296,4: expected a parameter count that fits in 64 bits")
    }

    /// A model of fewer layers than the tensors in the files: the extra tensor is named.
    @Test func tensorsBeyondTheModelAreRefused() throws {
        let path = try Self.folder { $0 }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var model = try SafeTensors(decoding: Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors")), path: "m")
        model.tensors.append(.init(name: "9.weight", shape: [1], values: [0]))
        try model.encoded().write(to: URL(fileURLWithPath: path + "/model.safetensors"))
        #expect(CheckpointTests.failure { _ = try Checkpoint(path: path) }
                == "\(path)/model.safetensors: tensor '9.weight' has no place in the model the checkpoint describes")
    }

    /// The format-1 case of the issue: metadata `layers` of 784,3 in a file with the tensors of
    /// 784,3,10 evaluated a 3-class model and ignored the last tensors.
    @Test func formatOneWithFewerLayersThanTensorsIsRefused() throws {
        var file = try SafeTensors(decoding: Data(contentsOf: URL(fileURLWithPath: CheckpointTests.legacyFile)), path: "f")
        file.metadata["layers"] = "784,3"
        #expect(CheckpointTests.failure { _ = try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f") }
                == "f: tensor '3.weight' has no place in the model the checkpoint describes")
        file.metadata["layers"] = "784,100000000,10"
        #expect(CheckpointTests.failure { _ = try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f") }
                == "f: tensor '0.weight' has shape [3, 784], expected [100000000, 784]")
        file.metadata["layers"] = "784,3,10"
        file.metadata["seed"] = "minus one"
        #expect(CheckpointTests.failure { _ = try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f") }
                == "f: metadata 'seed': 'minus one' is not a UInt64")
        file.metadata["seed"] = "7"
        file.tensors.removeAll { $0.name == "optimizer.exp_avg_sq.0.bias" }
        #expect(throws: CheckpointError.missingTensor(path: "f", name: "optimizer.exp_avg_sq.0.bias")) {
            try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f")
        }
    }

    @Test(arguments: [
        (#""seed":5"#, #""seed":18446744073709551616"#, "metadata 'configuration.seed': not a whole number in 0...18446744073709551615"),
        (#""batch":16"#, #""batch":16.0"#, "metadata 'configuration.batch': 16.0 is not a whole number in 0...9223372036854775807"),
        (#""batch":16"#, #""batch":1.6e1"#, "metadata 'configuration.batch': 1.6e1 is not a whole number in 0...9223372036854775807"),
        (#""epoch":0"#, #""epoch":-1"#, "metadata 'epoch': -1 is not a whole number in 0...9223372036854775807"),
        (#""step":3"#, #""step":3,"step":4"#, "metadata '(file)': not valid JSON (duplicate key \"step\" at byte"),
        (#""format":"thinned""#, #""format":"thinned","extra":1"#, "metadata 'extra': unexpected field"),
        (#""shard":25"#, #""shard":25,"augmnet":[]"#, "metadata 'configuration.augmnet': unexpected field"),
        (#""lr":0.001"#, #""lr":1e39"#, "metadata 'configuration.lr': 1e39 is not a finite 32-bit number"),
        (#""lr":0.001"#, #""lr":-0.001"#, "metadata 'configuration': --lr -0.001: expected a positive learning rate"),
        (#""format_version":2"#, #""format_version":3"#, "metadata 'format_version': 3; this thinned reads version 2"),
        (#""epoch":0,"step":3"#, #""epoch":1,"step":7"#, "DIR/optimizer.safetensors: metadata 'step': 3.0, but the trainer state says 7"),
    ])
    func trainerStateIsReadStrictly(field: String, replacement: String, message: String) throws {
        let got = try Self.failure { $0.replacingOccurrences(of: field, with: replacement) }
        #expect(got.contains(message), "\(got)")
    }

    /// A trainer state is a few kB; one over 1 MB is refused before it is parsed (a padded but
    /// otherwise valid one was read whole, up to the 100 MB of a safetensors header).
    @Test func trainerStateOverOneMegabyteIsRefused() throws {
        let padding = String(repeating: " ", count: Checkpoint.maximumTrainerStateBytes)
        let got = try Self.failure { $0 + padding }
        #expect(got.hasPrefix("DIR/trainer_state.json: metadata '(file)': "), "\(got)")
        #expect(got.hasSuffix(" bytes, more than the 1000000 a trainer state may have (thinned writes a few kB)"), "\(got)")
        // The same state with less padding is read: only the size was refused.
        #expect(try Self.failure { $0 + String(padding.prefix(100_000)) } == "no error")
    }

    @Test func trainerStateThatIsNotAnObjectIsRefused() throws {
        #expect(try Self.failure { _ in "[]" } == "DIR/trainer_state.json: metadata '(file)': not a JSON object")
        #expect(try Self.failure { _ in "" } == "DIR/trainer_state.json: metadata '(file)': not valid JSON (unexpected end of the text at byte 0)")
    }
}
