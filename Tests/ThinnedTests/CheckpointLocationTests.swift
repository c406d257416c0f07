import Foundation
import Testing
@testable import Thinned

/// Where a checkpoint may be saved, found out before training; leftovers of killed saves.
@Suite(.serialized) struct CheckpointLocationTests {
    static func refusal(_ path: String) -> String {
        CheckpointTests.failure { try Checkpoint.prepareDestination(path) }
    }

    /// The PID of a process that has exited (and been reaped).
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func destinationsThatCannotHoldACheckpointAreRefusedBeforeTraining() throws {
        let base = CheckpointTests.temporaryPath()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: base) }
        FileManager.default.createFile(atPath: base + "/notes.txt", contents: Data("keep me".utf8))
        try FileManager.default.createDirectory(atPath: base + "/photos", withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: base + "/photos/a.jpg", contents: Data([1]))

        #expect(Self.refusal(base + "/notes.txt/run") == "\(base)/notes.txt/run: cannot write the checkpoint: \(base)/notes.txt is a file, not a folder")
        #expect(Self.refusal(base + "/notes.txt/deeper/run") == "\(base)/notes.txt/deeper/run: cannot write the checkpoint: a part of \(base)/notes.txt/deeper is a file, not a folder")
        #expect(Self.refusal("/proc/self/run") == "/proc/self/run: cannot write the checkpoint: /proc/self is in a kernel file system (/proc, /sys), which keeps no files")
        #expect(Self.refusal("/nonexistent/folder/run") == "/nonexistent/folder/run: cannot write the checkpoint: the folder /nonexistent/folder does not exist")
        #expect(Self.refusal(base + "/notes.txt") == "\(base)/notes.txt: cannot write the checkpoint: it is an existing file that is not a thinned checkpoint; give a new name")
        #expect(Self.refusal(base + "/photos") == "\(base)/photos: cannot write the checkpoint: it is a folder that holds no checkpoint (no trainer_state.json); give a new name or an empty folder")
        #expect(Self.refusal("") == ": cannot write the checkpoint: the path is empty")
        // Nothing was touched, and a save is refused just as preparing was.
        #expect(FileManager.default.contents(atPath: base + "/notes.txt") == Data("keep me".utf8))
        let checkpoint = try CheckpointTests.trained(.sgd).checkpoint
        #expect(throws: CheckpointError.self) { try checkpoint.write(to: base + "/photos") }
        #expect(FileManager.default.contents(atPath: base + "/photos/a.jpg") == Data([1]))

        // A new name, an empty folder, an existing checkpoint (folder or single file) are fine.
        #expect(Self.refusal(base + "/new") == "no error")
        try FileManager.default.createDirectory(atPath: base + "/empty", withIntermediateDirectories: false)
        #expect(Self.refusal(base + "/empty") == "no error")
        try checkpoint.write(to: base + "/empty")
        #expect(Self.refusal(base + "/empty") == "no error")
        try FileManager.default.copyItem(atPath: CheckpointTests.legacyFile, toPath: base + "/old.safetensors")
        #expect(Self.refusal(base + "/old.safetensors") == "no error")
        #expect(CheckpointFolder.temporaries(beside: base + "/empty").isEmpty && CheckpointFolder.temporaries(beside: base + "/new").isEmpty)
    }

    @Test func readOnlyFolderIsRefusedUnlessRoot() throws {
        let base = CheckpointTests.temporaryPath()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        defer { chmod(base, 0o755); try? FileManager.default.removeItem(atPath: base) }
        chmod(base, 0o555)
        let message = Self.refusal(base + "/run")
        #expect(message == (geteuid() == 0 ? "no error" : "\(base)/run: cannot write the checkpoint: the folder \(base) is not writable (Permission denied)"))
    }

    /// `kill -9` during a save leaves `.NAME.tmp-PID`: the next run removes it once that PID is
    /// gone, but not a live process's.
    @Test func temporariesOfKilledSavesAreRemoved() throws {
        let base = CheckpointTests.temporaryPath()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/run", dead = try Self.deadPID()
        try FileManager.default.createDirectory(atPath: base + "/.run.tmp-\(dead)", withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: base + "/.run.tmp-\(dead)/model.safetensors", contents: Data(count: 1 << 20))
        FileManager.default.createFile(atPath: base + "/.run.tmp-\(dead + 1_000_000_000)", contents: Data(count: 10))  // format 1's
        try FileManager.default.createDirectory(atPath: base + "/.run.tmp-1", withIntermediateDirectories: false)  // init: alive
        try FileManager.default.createDirectory(atPath: base + "/.other.tmp-\(dead)", withIntermediateDirectories: false)
        try Checkpoint.prepareDestination(path)
        #expect(CheckpointFolder.temporaries(beside: path) == [".run.tmp-1"])
        #expect(FileManager.default.fileExists(atPath: base + "/.other.tmp-\(dead)"))
        try CheckpointTests.trained(.sgd).checkpoint.write(to: path)
        #expect(CheckpointFolder.temporaries(beside: path) == [".run.tmp-1"])
    }

    /// Without `RENAME_EXCHANGE` the old checkpoint is moved aside first; a save killed between
    /// the two renames leaves it as `.NAME.old-PID`, which the next run puts back.
    @Test func fallbackWithoutRenameExchangeKeepsThePreviousCheckpoint() throws {
        let base = CheckpointTests.temporaryPath()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/run"
        let first = try CheckpointTests.trained(.momentum, steps: 1), second = try CheckpointTests.trained(.momentum, steps: 2)
        try first.checkpoint.write(to: path)
        try FileManager.default.createDirectory(atPath: base + "/.run.tmp-\(getpid())", withIntermediateDirectories: false)
        for (name, bytes) in [("model.safetensors", second.checkpoint.modelFile.encoded()),
                              ("optimizer.safetensors", second.checkpoint.optimizerFile.encoded()),
                              ("trainer_state.json", Data(second.checkpoint.trainerState.encoded.utf8))] {
            try bytes.write(to: URL(fileURLWithPath: base + "/.run.tmp-\(getpid())/" + name))
        }
        try CheckpointFolder.swap(base + "/.run.tmp-\(getpid())", into: path, parent: base, name: "run", exchange: nil)
        #expect(try Checkpoint(path: path).state.step == 2)
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)

        // Killed between the renames: only `.run.old-PID` is left.
        let dead = try Self.deadPID()
        try FileManager.default.moveItem(atPath: path, toPath: base + "/.run.old-\(dead)")
        try Checkpoint.prepareDestination(path)
        #expect(try Checkpoint(path: path).state.step == 2)
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)
    }
}
