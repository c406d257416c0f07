import Foundation
import Testing
@testable import Thinned

/// A checkpoint's position in its run (epoch, step, step in epoch) must be one point of the run:
/// the fixture's 64 training samples in batches of 16 make epochs of 4 steps, and the checkpoint
/// of `CheckpointTests.trained(.adam)` stands at epoch 0, step 3, 3 steps in.
@Suite(.serialized) struct CheckpointPositionTests {
    static let position = #""epoch":0,"step":3,"step_in_epoch":3"#

    @Test(arguments: [
        // Past the end of an epoch of 4 steps (step agrees, so only step_in_epoch is wrong).
        (#""epoch":0,"step":9,"step_in_epoch":9"#, "metadata 'step_in_epoch': 9, but an epoch of the recorded training set has 4 steps"),
        (#""epoch":0,"step":4,"step_in_epoch":4"#, "metadata 'step_in_epoch': 4, but an epoch of the recorded training set has 4 steps"),
        // One epoch done but the step count not moved on.
        (#""epoch":1,"step":3,"step_in_epoch":3"#, "metadata 'step': 3, but epoch 1 × 4 steps + step_in_epoch 3 = 7"),
        (#""epoch":2,"step":7,"step_in_epoch":3"#, "metadata 'step': 7, but epoch 2 × 4 steps + step_in_epoch 3 = 11"),
        (#""epoch":9223372036854775807,"step":3,"step_in_epoch":3"#,
         "metadata 'step': 3, but epoch 9223372036854775807 × 4 steps + step_in_epoch 3 = more than 9223372036854775807"),
        (#""epoch":0,"step":2,"step_in_epoch":3"#, "metadata 'step': 2 updates, fewer than step_in_epoch 3"),
        (#""epoch":0,"step":3,"step_in_epoch":2"#, "metadata 'step': 3 updates in the first epoch, but step_in_epoch is 2"),
    ])
    func positionOutsideTheRunIsRefusedNamingTheField(position: String, message: String) throws {
        let got = try CheckpointValidationTests.failure { $0.replacingOccurrences(of: Self.position, with: position) }
        #expect(got == "DIR/trainer_state.json: \(message)")
    }

    /// A consistent position later in the run is read (the Adam `step` tensor moved with it).
    @Test func positionLaterInTheRunIsRead() throws {
        let path = try CheckpointValidationTests.folder { $0.replacingOccurrences(of: Self.position, with: #""epoch":1,"step":7,"step_in_epoch":3"#) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var optimizer = try SafeTensors(decoding: Data(contentsOf: URL(fileURLWithPath: path + "/optimizer.safetensors")), path: "o")
        let index = try #require(optimizer.tensors.firstIndex { $0.name == "step" })
        optimizer.tensors[index] = .init(name: "step", shape: [], values: [7])
        try optimizer.encoded().write(to: URL(fileURLWithPath: path + "/optimizer.safetensors"))
        let checkpoint = try Checkpoint(path: path)
        #expect(checkpoint.epoch == 1 && checkpoint.state.step == 7 && checkpoint.stepInEpoch == 3)
    }

    /// Without a recorded data set the epoch's length is unknown, but the first epoch's steps
    /// are still its updates.
    @Test func positionWithoutDataIsCheckedAsFarAsItCanBe() throws {
        func withoutData(_ text: String) -> String {
            text.replacingOccurrences(of: #","data":\{.*\}\}"#, with: #","data":null}"#, options: .regularExpression)
        }
        #expect(try CheckpointValidationTests.failure { withoutData($0) } == "no error")
        #expect(try CheckpointValidationTests.failure {
            withoutData($0).replacingOccurrences(of: Self.position, with: #""epoch":0,"step":3,"step_in_epoch":1"#)
        } == "DIR/trainer_state.json: metadata 'step': 3 updates in the first epoch, but step_in_epoch is 1")
    }

    /// Format 1: the position in `__metadata__`, and Adam's `optimizer.step` tensor against it.
    @Test func formatOnePositionAndAdamStepAreCrossChecked() throws {
        // The fixture stands at epoch 1, step 4, 0 steps in.
        var file = try SafeTensors(decoding: Data(contentsOf: URL(fileURLWithPath: CheckpointTests.legacyFile)), path: "f")
        func failure(_ file: SafeTensors) -> String {
            CheckpointTests.failure { _ = try Checkpoint(SafeTensors(decoding: file.encoded(), path: "f"), path: "f") }
        }
        #expect(failure(file) == "no error")
        var edited = file
        edited.metadata["step_in_epoch"] = "5"
        #expect(failure(edited) == "f: metadata 'step': 4 updates, fewer than step_in_epoch 5")
        edited = file
        edited.metadata["epoch"] = "0"
        #expect(failure(edited) == "f: metadata 'step': 4 updates in the first epoch, but step_in_epoch is 0")
        let index = try #require(file.tensors.firstIndex { $0.name == "optimizer.step" })
        file.tensors[index] = .init(name: "optimizer.step", shape: [], values: [9])
        #expect(failure(file) == "f: metadata 'optimizer.step': 9.0, but the metadata's step is 4")
    }
}
