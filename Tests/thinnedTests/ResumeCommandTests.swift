import Foundation
import Testing
@testable import Thinned

/// `--resume` keeps what defined the run: contradictions are refused naming the option and both
/// values, what may change is accepted, and the printed resume command reproduces the run.
@Suite(.serialized) struct ResumeCommandTests {
    static let run = ["train", "--data", "synthetic", "--layers", "784,16,10", "--batch", "50", "--limit", "400",
                      "--optimizer", "momentum", "--lr", "0.05", "--seed", "7", "--augment", "shift"]

    /// A checkpoint of `run` (3 epochs of 8 steps) stopped after 11 steps: epoch 2, step 3.
    static func stopped() throws -> (path: String, output: String) {
        let path = CheckpointCommandTests.temporaryPath()
        let result = try ThinnedBinary.run(run + ["--epochs", "3", "--checkpoint", path, "--stop-after", "11"])
        try #require(result.status == 3, "\(result.stderr)")
        return (path, result.stdout)
    }

    /// Whether checkpoints record the data set's identity (the checkpoint format does that).
    static let checkpointsRecordData: Bool = {
        let path = CheckpointCommandTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try? ThinnedBinary.run(["train", "--data", "synthetic", "--layers", "784,4,10", "--limit", "100", "--epochs", "1",
                                    "--checkpoint", path])
        return (try? Checkpoint(path: path))?.dataIdentity?.trainCount == 100
    }()

    /// Every file at `path` (a checkpoint file, or a checkpoint folder and what it holds, links
    /// by their targets), by relative name.
    static func snapshot(_ path: String) throws -> [String: Data] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            return ["": try Data(contentsOf: URL(fileURLWithPath: path))]
        }
        var files: [String: Data] = [:]
        for name in try manager.subpathsOfDirectory(atPath: path) {
            let full = path + "/" + name
            if let target = try? manager.destinationOfSymbolicLink(atPath: full) {
                files[name] = Data(("-> " + target).utf8)
            } else if manager.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return files
    }

    @Test(arguments: [
        (["--layers", "784,32,10"], "--layers 784,32,10 contradicts the run in PATH, trained with --layers 784,16,10"),
        (["--batch", "20"], "--batch 20 contradicts the run in PATH, trained with --batch 50"),
        (["--lr", "0.1"], "--lr 0.1 contradicts the run in PATH, trained with --lr 0.05"),
        (["--optimizer", "adam"], "--optimizer adam contradicts the run in PATH, trained with --optimizer momentum"),
        (["--momentum", "0.8"], "--momentum 0.8 contradicts the run in PATH, trained with --momentum 0.9"),
        (["--seed", "8"], "--seed 8 contradicts the run in PATH, trained with --seed 7"),
        (["--dropout", "vanilla"], "--dropout vanilla contradicts the run in PATH, trained with --dropout inverted"),
        (["--p-input", "0.1"], "--p-input 0.1 contradicts the run in PATH, trained with --p-input 0.2"),
        (["--p-hidden", "0.3"], "--p-hidden 0.3 contradicts the run in PATH, trained with --p-hidden 0.5"),
        (["--init", "he"], "--init he contradicts the run in PATH, trained with --init xavier"),
        (["--grad-mode", "literal"], "--grad-mode literal contradicts the run in PATH, trained with --grad-mode fused"),
        (["--shard", "10"], "--shard 10 contradicts the run in PATH, trained with --shard 25"),
        (["--augment", "rotate"], "--augment rotate contradicts the run in PATH, trained with --augment shift"),
        (["--shift-px", "1"], "--shift-px 1 contradicts the run in PATH, trained with --shift-px 2"),
        (["--epochs", "1"], "--epochs 1: the run in PATH has already done 1 epoch and 3 steps of the next; give the total, more than 1"),
    ])
    func contradictionsAreRefusedBeforeAnythingIsWritten(extra: [String], message: String) throws {
        let (path, _) = try Self.stopped()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = try Self.snapshot(path)
        let result = try ThinnedBinary.run(["train", "--resume", path, "--data", "synthetic", "--limit", "400", "--epochs", "3"] + extra)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message.replacingOccurrences(of: "PATH", with: path)), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("resumed:"), "it trained: \(result.stdout)")
        #expect(try Self.snapshot(path) == before, "the checkpoint was rewritten")
    }

    @Test func thePrintedResumeCommandReproducesTheRun() throws {
        let straight = try ThinnedBinary.run(Self.run + ["--epochs", "3", "--threads", "1"])
        let digest = try #require(TrainCommandTests.digest(straight.stdout))
        let (path, output) = try Self.stopped()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("resume with: ") })
        #expect(line == "resume with: thinned train --resume \(path) --epochs 3 --data synthetic --limit 400")
        let words = line.dropFirst("resume with: thinned ".count).split(separator: " ").map(String.init)
        // Same options, other pool: the same bits.
        let resumed = try ThinnedBinary.run(words + ["--threads", "2", "--checkpoint-every", "1", "--metrics", "/dev/null"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(TrainCommandTests.digest(resumed.stdout) == digest)
        // Repeating an option with the checkpoint's own value is no contradiction.
        let (again, _) = try Self.stopped()
        defer { try? FileManager.default.removeItem(atPath: again) }
        let same = try ThinnedBinary.run(["train", "--resume", again, "--epochs", "3", "--data", "synthetic", "--limit", "400",
                                          "--lr", "0.05", "--batch", "50", "--seed", "7", "--optimizer", "momentum", "--augment", "shift"])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(TrainCommandTests.digest(same.stdout) == digest)
    }

    @Test(.enabled(if: checkpointsRecordData, "checkpoints do not record their data set yet"))
    func otherDataAreRefused() throws {
        let (path, _) = try Self.stopped()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let limit = try ThinnedBinary.run(["train", "--resume", path, "--epochs", "3", "--limit", "300"])
        #expect(limit.status != 0)
        #expect(limit.stderr.contains("--limit 300 contradicts the run in \(path), trained on --limit 400"), "\(limit.stderr)")
        let folder = try TrainOptionTests.tenClassFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let other = try ThinnedBinary.run(["train", "--resume", path, "--epochs", "3", "--data", folder])
        #expect(other.status != 0)
        #expect(other.stderr.contains("--data \(folder) (10 training and 10 test samples"), "\(other.stderr)")
        #expect(other.stderr.contains("contradicts the run in \(path), trained on synthetic (400 training and 500 test samples"), "\(other.stderr)")
        // Without --data and --limit, the run goes on with the data it recorded.
        let recorded = try ThinnedBinary.run(["train", "--resume", path, "--epochs", "3", "--threads", "1"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout.contains("data: synthetic train (first 400) 400"), "\(recorded.stdout)")
    }
}
