import Foundation
import Testing
@testable import Thinned

/// The real save interrupted: `thinned train` saving a 6.5 MB checkpoint after every step, killed
/// with SIGKILL at 50 pseudo-random moments. Each time the checkpoint folder reads back complete
/// and finite (the previous save or the new one), and temporaries never pile up.
@Suite(.serialized) struct CheckpointKillTests {
    /// 784-2048-10 with SGD at batch 1: 1.6 M parameters, 6.5 MB per save.
    static func arguments(_ path: String, seed: Int = 0) -> [String] {
        ["train", "--data", "synthetic", "--layers", "784,2048,10", "--optimizer", "sgd", "--batch", "1", "--limit", "400", "--epochs", "1000",
         "--threads", "2", "--checkpoint", path, "--checkpoint-every-steps", "1", "--seed", "\(seed)"]
    }

    /// SplitMix64 (Steele et al., OOPSLA 2014): the kill moments are the same in every run of
    /// the test.
    struct SplitMix {
        var state: UInt64
        mutating func unit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = ThinnedBinary.url
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func killedAtRandomPointsOfARealSaveLeavesACompleteCheckpoint() throws {
        let path = NSTemporaryDirectory() + "thinned-kill-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            for leftover in CheckpointFolder.temporaries(beside: path) {
                try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + leftover)
            }
        }
        // Each run is killed a pseudo-random time after its first save began writing: the
        // machine's load moves when that is, not where in the save the kill lands.
        // A first checkpoint, so that every kill below has a previous one to keep.
        let seed = try Self.start(Self.arguments(path))
        let started = Date()
        while access(path + "/trainer_state.json", F_OK) != 0, seed.isRunning, Date().timeIntervalSince(started) < 60 { usleep(1_000) }
        kill(seed.processIdentifier, SIGKILL)
        seed.waitUntilExit()
        try #require(FileManager.default.fileExists(atPath: path), "no checkpoint within 60 s")

        var random = SplitMix(state: 2026)
        // Run i trains with seed i + 1: the checkpoint read after its kill says whose it is.
        var killedMidSave = 0, kept: [String] = [], previousSeed: UInt64 = 0
        for run in 1...50 {
            let process = try Self.start(Self.arguments(path, seed: run))
            let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent
                + ".tmp-\(process.processIdentifier)"
            let started = Date()
            // Its first file, not the folder: `prepareDestination`'s writability probe creates and
            // removes the same folder name before training.
            while access(temporary + "/model.safetensors", F_OK) != 0, process.isRunning, Date().timeIntervalSince(started) < 60 {
                usleep(200)
            }
            // Writing and flushing the files, the exchange and the removal take 10–20 ms here.
            usleep(useconds_t(0.02e6 * random.unit()))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let checkpoint = try Checkpoint(path: path)   // complete, every value finite, or it throws
            #expect(checkpoint.configuration.model.layers == [784, 2048, 10] && checkpoint.state.step >= 1)
            #expect(checkpoint.state.parameters.allSatisfy { $0.isFinite })
            let seed = checkpoint.configuration.seed
            #expect(seed == previousSeed || seed == UInt64(run), "run \(run) left the checkpoint of seed \(seed)")
            kept.append(seed == UInt64(run) ? "new" : "previous")
            previousSeed = seed
            let leftovers = CheckpointFolder.temporaries(beside: path)
            #expect(leftovers.count <= 1, "temporaries pile up: \(leftovers)")
            if !leftovers.isEmpty { killedMidSave += 1 }
        }
        try Checkpoint.prepareDestination(path)
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)
        // Most kills must land inside a save, or this test would not test the save.
        #expect(killedMidSave >= 10, "only \(killedMidSave) of 50 kills interrupted a save (\(kept))")
        print("CheckpointKillTests: \(killedMidSave) of 50 kills interrupted a save; the checkpoint after each: \(kept)")
    }
}
