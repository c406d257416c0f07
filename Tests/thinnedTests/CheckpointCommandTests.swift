import Foundation
import Testing
@testable import Thinned

/// Checkpoints end to end: SIGINT, resume with another pool, kill -9 during saves.
@Suite(.serialized) struct CheckpointCommandTests {
    static let run = ["train", "--data", "synthetic", "--layers", "784,64,10", "--batch", "20", "--limit", "2000", "--epochs", "6"]

    static func temporaryPath() -> String { NSTemporaryDirectory() + "thinned-\(UUID().uuidString).safetensors" }

    /// Starts `thinned arguments…` and returns the running process.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = ThinnedBinary.url
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func sigintWritesACheckpointAndTheResumedRunEqualsTheUninterruptedOne() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let straight = try ThinnedBinary.run(Self.run + ["--threads", "2"])
        let digest = try #require(TrainCommandTests.digest(straight.stdout))

        let process = try Self.start(Self.run + ["--threads", "1", "--checkpoint", path])
        Thread.sleep(forTimeInterval: 3)
        kill(process.processIdentifier, SIGINT)
        let output = String(decoding: (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 130, "the run ended before the signal: \(output)")
        #expect(output.contains("interrupted (SIGINT) at epoch"))
        #expect(output.contains("resume with: thinned train --resume \(path) --epochs 6 --data synthetic"))

        let resumed = try ThinnedBinary.run(["train", "--resume", path, "--epochs", "6", "--data", "synthetic", "--limit", "2000",
                                             "--threads", "2", "--bind", "spread"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed: \(path)"))
        #expect(TrainCommandTests.digest(resumed.stdout) == digest)
    }

    @Test func killedDuringSavesLeavesAValidCheckpoint() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for delay in [2.0, 2.6, 3.2] {
            let process = try Self.start(Self.run + ["--checkpoint", path, "--checkpoint-every-steps", "1"])
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: path) {
                let checkpoint = try Checkpoint(path: path)
                #expect(checkpoint.state.step >= 1)
            }
        }
        #expect(FileManager.default.fileExists(atPath: path), "no checkpoint was ever written")
    }

    @Test func badResumeFileIsNamed() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data("not a checkpoint at all".utf8))
        let result = try ThinnedBinary.run(["train", "--resume", path, "--data", "synthetic"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--resume \(path): header length"), "\(result.stderr)")
        let unwritable = try ThinnedBinary.run(["train", "--checkpoint", "/nonexistent/folder/run.safetensors", "--data", "synthetic"])
        #expect(unwritable.status != 0)
        #expect(unwritable.stderr.contains("--checkpoint /nonexistent/folder/run.safetensors: "), "\(unwritable.stderr)")
        #expect(unwritable.stderr.contains("/nonexistent/folder does not exist"), "\(unwritable.stderr)")
        let missing = try ThinnedBinary.run(["train", "--resume", "/nonexistent.safetensors", "--data", "synthetic"])
        #expect(missing.stderr.contains("--resume /nonexistent.safetensors: cannot read the checkpoint: no such file"), "\(missing.stderr)")
    }
}
