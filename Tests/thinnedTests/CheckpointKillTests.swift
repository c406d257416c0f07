import Foundation
import Testing
@testable import Thinned

/// The real save interrupted: `thinned train` saving a 19 MB checkpoint after every step, killed
/// with SIGKILL at 50 pseudo-random moments. Each time the checkpoint folder reads back complete
/// and finite (the previous save or the new one), and temporaries never pile up.
@Suite(.serialized) struct CheckpointKillTests {
    /// 784-2048-10 with Adam: 1.6 M parameters, three buffers, 19 MB per save (tens of ms with
    /// the flushes), so most of the run's time is spent saving.
    static func arguments(_ path: String) -> [String] {
        ["train", "--data", "synthetic", "--layers", "784,2048,10", "--batch", "20", "--limit", "400", "--epochs", "1000",
         "--threads", "2", "--checkpoint", path, "--checkpoint-every-steps", "1"]
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
        // When does the first save land? Poll one run for it.
        let probe = try Self.start(Self.arguments(path))
        let started = Date()
        while !FileManager.default.fileExists(atPath: path), Date().timeIntervalSince(started) < 60 { usleep(2_000) }
        let firstSave = Date().timeIntervalSince(started)
        kill(probe.processIdentifier, SIGKILL)
        probe.waitUntilExit()
        try #require(FileManager.default.fileExists(atPath: path), "no checkpoint within 60 s")

        var random = SplitMix(state: 2026)
        var killedMidSave = 0, steps: [Int] = []
        for _ in 0..<50 {
            let process = try Self.start(Self.arguments(path))
            usleep(useconds_t((firstSave + 0.8 * random.unit()) * 1e6))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let checkpoint = try Checkpoint(path: path)   // complete, every value finite, or it throws
            #expect(checkpoint.configuration.model.layers == [784, 2048, 10] && checkpoint.state.step >= 1)
            steps.append(checkpoint.state.step)
            let leftovers = CheckpointFolder.temporaries(beside: path)
            #expect(leftovers.count <= 1, "temporaries pile up: \(leftovers)")
            if !leftovers.isEmpty { killedMidSave += 1 }
        }
        try Checkpoint.prepareDestination(path)
        #expect(CheckpointFolder.temporaries(beside: path).isEmpty)
        // Most kills must land inside a save, or this test would not test the save.
        #expect(killedMidSave >= 10, "only \(killedMidSave) of 50 kills interrupted a save (steps \(steps))")
        print("CheckpointKillTests: first save after \(String(format: "%.2f", firstSave)) s; \(killedMidSave) of 50 kills interrupted a save; steps saved \(steps)")
    }
}
