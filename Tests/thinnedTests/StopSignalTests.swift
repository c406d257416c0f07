import Foundation
import Testing

/// Stopping a run from outside: a second signal right after the first exits at once and says so.
@Suite(.serialized) struct StopSignalTests {
    /// Slow steps (a wide model, one worker), so that the first signal is still waiting for its
    /// step to finish when the second arrives.
    static let slow = ["train", "--data", "synthetic", "--layers", "784,1024,1024,10", "--batch", "500", "--epochs", "3",
                       "--threads", "1"]

    @Test(arguments: [(SIGINT, 1_000), (SIGINT, 10_000), (SIGTERM, 5_000)] as [(Int32, UInt32)])
    func aSecondSignalExitsAtOnceSayingSo(signal: Int32, microseconds: UInt32) throws {
        let path = CheckpointCommandTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = ThinnedBinary.url
        process.arguments = Self.slow + ["--checkpoint", path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Wait until it trains: the header is printed just before the first step.
        var header = Data()
        while !String(decoding: header, as: UTF8.self).contains("pool: ") {
            let chunk = out.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "thinned ended before training")
            header += chunk
        }
        Thread.sleep(forTimeInterval: 0.5)
        kill(process.processIdentifier, signal)
        // Two signals of one kind that are both pending merge into one: wait until the first has
        // been taken (a busy machine may not run the process for milliseconds), then send the
        // second after the stated delay.
        try Self.waitUntilDelivered(signal, to: process.processIdentifier)
        usleep(microseconds)
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stdout = String(decoding: header + out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + signal)
        #expect(stderr.contains("thinned: second stop signal: exiting at once, without writing a checkpoint"), "\(stderr)")
        #expect(!stdout.contains("checkpoint written"), "\(stdout)")
    }

    /// Waits (at most 5 s) until `signal` is no longer pending for process `pid`, per the
    /// `SigPnd` and `ShdPnd` masks of `/proc/PID/status`.
    static func waitUntilDelivered(_ signal: Int32, to pid: Int32) throws {
        let bit = UInt64(1) << UInt64(signal - 1)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let pending = status.split(separator: "\n")
                .filter { $0.hasPrefix("SigPnd:") || $0.hasPrefix("ShdPnd:") }
                .compactMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
                .reduce(0, |)
            if pending & bit == 0 { return }
            usleep(100)
        }
        Issue.record("signal \(signal) still pending after 5 s")
    }
}
