import Foundation
import Testing
@testable import Thinned

/// Failures found by trying the tool as a user would: each ends with a message (or a warning and
/// a run that goes on), never a trap, a silent loss or a silent overwrite.
@Suite(.serialized) struct FailureCommandTests {
    static let tiny = ["train", "--data", "synthetic", "--layers", "784,16,10", "--limit", "200", "--epochs", "1", "--threads", "1"]

    /// Runs `thinned arguments…` in `folder` (through `sh`, so that `cd` applies).
    static func run(_ arguments: [String], in folder: String) throws -> ThinnedBinary.Result {
        try ThinnedBinary.run(arguments, under: ["sh", "-c", "cd '\(folder)' && exec \"$0\" \"$@\""])
    }

    static func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "thinned-failure-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Weights that stay finite but grow so large that predictions overflow (SGD at 1e38): the
    /// epoch's loss is finite, the test loss is not. The run ends with the divergence message and
    /// writes nothing (it used to print `test loss -nan`, exit 0 and save the checkpoint).
    @Test func weightsTooLargeToPredictEndTheRun() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try Self.run(["train", "--data", "synthetic", "--layers", "784,16,10", "--limit", "100", "--batch", "100",
                                   "--epochs", "1", "--optimizer", "sgd", "--lr", "1e38", "--checkpoint", "run"], in: folder)
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("Error: training diverged: after epoch 1"), "\(result.stderr)")
        #expect(!result.stdout.lowercased().contains("nan"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/run"))
    }

    /// A metrics file that cannot be written is a warning and the run goes on (it used to trap in
    /// `FileHandle.write`); standard output that cannot be written fails the run.
    @Test func unwritableOutputsAreReportedNotTrapped() throws {
        let metrics = try ThinnedBinary.run(Self.tiny + ["--metrics", "/dev/full"])
        #expect(metrics.status == 0, "exit \(metrics.status): \(metrics.stderr)")
        #expect(metrics.stderr.contains("warning: --metrics /dev/full: cannot write"), "\(metrics.stderr)")
        #expect(metrics.stdout.contains("weights sha256"))

        let output = try ThinnedBinary.run(Self.tiny, under: ["sh", "-c", "exec \"$0\" \"$@\" > /dev/full"])
        #expect(output.status == 1, "exit \(output.status): \(output.stderr)")
        #expect(output.stderr.contains("Error: cannot write to standard output"), "\(output.stderr)")

        let help = try ThinnedBinary.run(["--help"], under: ["sh", "-c", "exec \"$0\" \"$@\" > /dev/full"])
        #expect(help.status == 1 && help.stderr.contains("Error: cannot write to standard output"), "exit \(help.status): \(help.stderr)")
    }

    /// A run stopped without `--checkpoint` saves to `thinned-checkpoint`, or the next free
    /// `thinned-checkpoint-N`: another run's checkpoint, or a file of the user's, is never replaced.
    @Test func theDefaultCheckpointNeverReplacesAnother() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "notes".write(toFile: folder + "/thinned-checkpoint", atomically: true, encoding: .utf8)
        let stopped = ["train", "--data", "synthetic", "--layers", "784,16,10", "--limit", "400", "--epochs", "2", "--stop-after", "1"]
        let first = try Self.run(stopped, in: folder)
        #expect(first.status == 3, "exit \(first.status): \(first.stderr)")
        #expect(first.stdout.contains("checkpoint written to thinned-checkpoint-2"), "\(first.stdout)")
        #expect(try String(contentsOfFile: folder + "/thinned-checkpoint", encoding: .utf8) == "notes")
        let second = try Self.run(stopped + ["--seed", "7"], in: folder)
        #expect(second.stdout.contains("checkpoint written to thinned-checkpoint-3"), "\(second.stdout)")
        #expect(try Checkpoint(path: folder + "/thinned-checkpoint-2").configuration.seed == 1)
        #expect(try Checkpoint(path: folder + "/thinned-checkpoint-3").configuration.seed == 7)
    }

    /// `evaluate` scores a checkpoint on the data it recorded unless told otherwise, and refuses an
    /// unwritable `--predictions` before evaluating.
    @Test func evaluateUsesTheRecordedDataAndChecksItsOutputFirst() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trained = try Self.run(Self.tiny + ["--checkpoint", "run"], in: folder)
        try #require(trained.status == 0, "\(trained.stderr)")
        let evaluated = try Self.run(["evaluate", "--checkpoint", "run", "--threads", "1"], in: folder)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("data: synthetic test 500"), "\(evaluated.stdout)")
        let refused = try Self.run(["evaluate", "--checkpoint", "run", "--predictions", "/nonexistent/p.csv"], in: folder)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--predictions /nonexistent/p.csv: the folder /nonexistent does not exist"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("rule"), "it evaluated first: \(refused.stdout)")
    }

    /// A checkpoint whose position does not fit the data it is resumed on (damaged, or written
    /// for other data) is refused instead of training "past the end" of an epoch.
    @Test func aPositionBeyondTheEpochIsRefused() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stopped = try Self.run(["train", "--data", "synthetic", "--layers", "784,16,10", "--limit", "400", "--epochs", "2",
                                    "--stop-after", "1", "--checkpoint", "run"], in: folder)
        try #require(stopped.status == 3, "\(stopped.stderr)")
        let state = folder + "/run/trainer_state.json"
        let text = try String(contentsOfFile: state, encoding: .utf8)
        let edited = text.replacingOccurrences(of: #""step_in_epoch":1"#, with: #""step_in_epoch":500"#)
        try #require(edited != text, "trainer_state.json has no step_in_epoch 1: \(text)")
        try edited.write(toFile: state, atomically: true, encoding: .utf8)
        let resumed = try Self.run(["train", "--resume", "run", "--epochs", "2", "--data", "synthetic", "--limit", "400"], in: folder)
        #expect(resumed.status != 0, "\(resumed.stdout)")
        #expect(resumed.stderr.contains("step_in_epoch") || resumed.stderr.contains("--resume epoch 0, step 500"), "\(resumed.stderr)")
        #expect(!resumed.stdout.contains("epoch 2/2"), "\(resumed.stdout)")
    }
}
