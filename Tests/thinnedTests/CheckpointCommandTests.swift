import Foundation
import Testing
@testable import Thinned

/// Checkpoints end to end: SIGINT, resume with another pool, destinations refused up front.
@Suite(.serialized) struct CheckpointCommandTests {
    static let run = ["train", "--data", "synthetic", "--layers", "784,64,10", "--batch", "20", "--limit", "2000", "--epochs", "6"]

    static func temporaryPath() -> String { NSTemporaryDirectory() + "thinned-\(UUID().uuidString)" }

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
        // The signal goes in once the first epoch has ended (its line is flushed), not after a
        // fixed wait: a faster step must not finish the run first.
        let reader = (process.standardOutput as! Pipe).fileHandleForReading
        var early = Data()
        while !String(decoding: early, as: UTF8.self).contains("epoch 1/6") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            early.append(chunk)
        }
        kill(process.processIdentifier, SIGINT)
        let output = String(decoding: early + reader.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 130, "the run ended before the signal: \(output)")
        #expect(output.contains("interrupted (SIGINT) at epoch"))
        #expect(output.contains("resume with: thinned train --resume \(path) "))
        #expect(FileManager.default.fileExists(atPath: path + "/model.safetensors"))

        let resumed = try ThinnedBinary.run(["train", "--resume", path, "--epochs", "6", "--data", "synthetic", "--limit", "2000",
                                             "--threads", "2", "--bind", "spread"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed: \(path)"))
        #expect(TrainCommandTests.digest(resumed.stdout) == digest)
    }

    /// A single-file checkpoint of format 1 (Tests/Fixtures, written by the thinned of commit
    /// 684829e) evaluates as that thinned evaluated it: `--limit 100` printed this line.
    @Test func formatOneCheckpointEvaluatesAsTheOlderThinnedDid() throws {
        let legacy = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/legacy-v1.safetensors").standardized.path
        let result = try ThinnedBinary.run(["evaluate", "--checkpoint", legacy, "--data", "synthetic", "--limit", "100"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("(784-3-10, inverted dropout p_input 0.2 p_hidden 0.5; 1 epochs, 4 steps)"), "\(result.stdout)")
        #expect(result.stdout.contains("weight scaling          7.00%    2.2861     0.0361"), "\(result.stdout)")
    }

    @Test func badResumeFileIsNamed() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data("not a checkpoint at all".utf8)))
        let result = try ThinnedBinary.run(["train", "--resume", path, "--data", "synthetic"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--resume \(path): header length"), "\(result.stderr)")
        let unwritable = try ThinnedBinary.run(["train", "--checkpoint", "/nonexistent/folder/run", "--data", "synthetic"])
        #expect(unwritable.status != 0)
        #expect(unwritable.stderr.contains("--checkpoint /nonexistent/folder/run: cannot write the checkpoint: the folder /nonexistent/folder does not exist"),
                "\(unwritable.stderr)")
        for (destination, reason) in [("/proc/self/run", "/proc/self is in a kernel file system"),
                                      (path + "/run", "\(path) is a file, not a folder"),
                                      (path, "it is an existing file that is not a thinned checkpoint")] {
            let refused = try ThinnedBinary.run(["train", "--checkpoint", destination, "--data", "synthetic", "--epochs", "50"])
            #expect(refused.status != 0 && refused.stderr.contains("--checkpoint \(destination): cannot write the checkpoint: \(reason)"),
                    "\(refused.stderr)")
            #expect(!refused.stdout.contains("epoch 1"), "refused only after training: \(refused.stdout)")
        }
        let missing = try ThinnedBinary.run(["train", "--resume", "/nonexistent.safetensors", "--data", "synthetic"])
        #expect(missing.stderr.contains("--resume /nonexistent.safetensors: cannot read the checkpoint: no such file"), "\(missing.stderr)")
    }
}
