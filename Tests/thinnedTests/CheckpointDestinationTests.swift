import Foundation
import Testing
@testable import Thinned

/// A `--checkpoint` that cannot be written is refused before the first step, not after training.
@Suite(.serialized) struct CheckpointDestinationTests {
    /// Whether `Checkpoint.prepareDestination` looks past the folder's permission bits (the
    /// checkpoint format makes it thorough).
    static let destinationsAreProbed: Bool = {
        let file = NSTemporaryDirectory() + "thinned-file-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        return (try? Checkpoint.prepareDestination(file + "/run.safetensors")) == nil
    }()

    @Test(.enabled(if: destinationsAreProbed, "Checkpoint.prepareDestination checks only the folder's permissions"))
    func unwritableDestinationsAreRefusedBeforeTraining() throws {
        let file = NSTemporaryDirectory() + "thinned-file-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        for path in [file + "/run.safetensors", "/proc/thinned-run.safetensors", "/proc/self", "/nonexistent/run.safetensors"] {
            let result = try ThinnedBinary.run(TrainCommandTests.small + ["--checkpoint", path])
            #expect(result.status != 0, "\(path)")
            #expect(result.stderr.contains("Error: --checkpoint \(path)"), "\(path): \(result.stderr)")
            #expect(!result.stderr.contains("step 1/"), "\(path): it trained first: \(result.stderr)")
            #expect(!result.stdout.contains("epoch 1/"), "\(path): it trained first")
        }
    }

    @Test func aResumedRunChecksItsCheckpointToo() throws {
        let folder = NSTemporaryDirectory() + "thinned-ro-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/run.safetensors"
        let stopped = try ThinnedBinary.run(TrainCommandTests.small + ["--checkpoint", path, "--stop-after", "3"])
        try #require(stopped.status == 3, "\(stopped.stderr)")
        let result = try ThinnedBinary.run(["train", "--resume", path, "--epochs", "2", "--data", "synthetic", "--limit", "500",
                                            "--checkpoint", "/nonexistent/run.safetensors"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Error: --checkpoint /nonexistent/run.safetensors"), "\(result.stderr)")
        #expect(!result.stdout.contains("resumed:"))
    }
}
