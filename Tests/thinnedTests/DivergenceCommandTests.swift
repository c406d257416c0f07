import Foundation
import Testing
@testable import Thinned

/// A run that blows up: a non-finite loss stops it with one message and the last good checkpoint;
/// a finite blow-up warns.
@Suite(.serialized) struct DivergenceCommandTests {
    @Test func aNonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        let path = CheckpointCommandTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The reference model at this rate: step 2's loss is ~1e14, step 3's NaN; a checkpoint
        // after every good step.
        let result = try ThinnedBinary.run(["train", "--data", "synthetic", "--optimizer", "sgd", "--lr", "1000", "--epochs", "2",
                                            "--checkpoint", path, "--checkpoint-every-steps", "1"])
        #expect(result.status != 0)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors.count == 1, "\(result.stderr)")
        let message = try #require(errors.first)
        // Which step blows up depends on the BLAS kernel's rounding; on this project's VMs, step 3.
        let prefix = "Error: training diverged: the loss of epoch 1, step "
        try #require(message.hasPrefix(prefix), "\(message)")
        let step = try #require(Int(message.dropFirst(prefix.count).prefix { $0.isNumber }))
        #expect(message.contains("Try a lower --lr"))
        #expect(message.contains("The last good checkpoint, \(path), is kept."))
        #expect(!result.stderr.lowercased().contains("loss nan") && !result.stderr.lowercased().contains("loss -nan"), "\(result.stderr)")
        #expect(!result.stdout.contains("epoch 1/2  train loss"), "an epoch was reported: \(result.stdout)")
        let kept = try Checkpoint(path: path)
        #expect(kept.state.step == step - 1, "the checkpoint is not the last good step's")
        #expect(kept.state.parameters.allSatisfy { $0.isFinite })
    }

    @Test func aFiniteBlowUpWarnsOnce() throws {
        let result = try ThinnedBinary.run(TrainCommandTests.small + ["--lr", "100", "--threads", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("far above ln(10) = 2.30, the loss of a uniform guess") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(warnings.first?.hasPrefix("warning: epoch 1's mean training loss") == true)
        let healthy = try ThinnedBinary.run(TrainCommandTests.small + ["--threads", "1"])
        #expect(!healthy.stderr.contains("uniform guess"), "\(healthy.stderr)")
    }
}
