import Foundation
import Testing

/// `thinned train` end to end on small data: what it prints, what it writes, how it fails.
@Suite(.serialized) struct TrainCommandTests {
    static let small = ["train", "--data", "synthetic", "--layers", "784,32,10", "--epochs", "2", "--batch", "50", "--limit", "500"]

    static func digest(_ output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("weights sha256: ") }.map { String($0.dropFirst(16)) }
    }

    /// A checkpoint every N steps where N is an epoch's steps: the epoch's last step is saved once
    /// the epoch is complete (it used to be saved as "step 10 of a 10-step epoch", refused by the
    /// checkpoint's own validation with a warning, and never written).
    @Test func aCheckpointEveryEpochOfStepsIsWrittenAtTheEpochsEnd() throws {
        let path = CheckpointCommandTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--checkpoint", path, "--checkpoint-every-steps", "10",
                                                         "--stop-after", "15"])
        #expect(!result.stderr.contains("warning"), "\(result.stderr)")
        #expect(result.stdout.contains("stopped after 15 steps at epoch 2, step 5"), "\(result.stdout)")
    }

    @Test func trainsAndReportsEveryEpoch() throws {
        let metrics = NSTemporaryDirectory() + "thinned-metrics-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: metrics) }
        let result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--metrics", metrics])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("model: 784-32-10 (25450 parameters)"))
        #expect(result.stdout.contains("epoch 1/2  train loss"))
        #expect(result.stdout.contains("epoch 2/2  train loss"))
        #expect(result.stdout.contains("test accuracy: "))
        let digest = try #require(Self.digest(result.stdout))
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit))
        // Progress goes to standard error as plain lines when it is not a terminal.
        #expect(result.stderr.contains("epoch 2/2  step 10/10"))

        let lines = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["epoch"] as? Int == 1)
        for key in ["trainLoss", "testAccuracy", "testLoss", "samplesPerSecond", "seconds", "medianStepSeconds"] { #expect(first[key] != nil, "\(key)") }
    }

    @Test func sameDigestForAnyThreadCountAndPlacement() throws {
        var digests: Set<String> = []
        for pool in [["--threads", "1"], ["--threads", "2", "--bind", "spread"], ["--threads", "3", "--bind", "none", "--oversubscribe"]] {
            let result = try ThinnedBinary.run(Self.small + pool)
            #expect(result.status == 0, "\(result.stderr)")
            digests.insert(try #require(Self.digest(result.stdout)))
        }
        #expect(digests.count == 1, "\(digests)")
    }

    @Test(arguments: [
        (["--data", "/nonexistent/folder"], "/nonexistent/folder: no such data folder"),
        (["--p-hidden", "1"], "--p-hidden 1.0: expected a drop probability in [0, 1)"),
        (["--p-input=-0.1"], "--p-input -0.1: expected a drop probability in [0, 1)"),
        (["--batch", "0"], "--batch 0: expected at least 1 sample"),
        (["--batch", "501"], "--batch 501: expected at most the 500 training samples"),
        (["--layers", "784"], "--layers 784: expected at least an input and an output width"),
        (["--layers", "784,0,10"], "--layers 784,0,10: expected every width at least 1"),
        (["--layers", "784,x,10"], "--layers 784,x,10: expected comma-separated widths"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--optimizer", "rmsprop"], "'rmsprop' is invalid for '--optimizer"),
        (["--lr", "0"], "--lr 0.0: expected a positive learning rate"),
    ])
    func badOptionsEndWithAClearError(extra: [String], message: String) throws {
        let result = try ThinnedBinary.run(Self.small + extra)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
    }

    @Test func brokenDataFilesAreNamed() throws {
        let folder = NSTemporaryDirectory() + "thinned-broken-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, magic: UInt32, dimensions: [Int], payload: [UInt8]) {
            func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
            let bytes = bigEndian(magic) + dimensions.flatMap { bigEndian(UInt32($0)) } + payload
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes)))
        }
        for prefix in ["train", "t10k"] {
            write("\(prefix)-images-idx3-ubyte", magic: 0x803, dimensions: [4, 28, 28], payload: [UInt8](repeating: 9, count: 4 * 784))
            write("\(prefix)-labels-idx1-ubyte", magic: 0x801, dimensions: [4], payload: [0, 1, 2, 3])
        }
        // Labels 0…3: four classes, so four outputs.
        let arguments = ["train", "--data", folder, "--layers", "784,8,4", "--batch", "2", "--epochs", "1"]
        #expect(try ThinnedBinary.run(arguments).status == 0)

        var result = try ThinnedBinary.run(["train", "--data", folder, "--layers", "100,8,4", "--batch", "2", "--epochs", "1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("train-images-idx3-ubyte: images of 28×28 = 784 pixels, expected 100 (the first of --layers)"),
                "\(result.stderr)")

        write("train-labels-idx1-ubyte", magic: 0x801, dimensions: [4], payload: [0, 1, 12, 3])
        result = try ThinnedBinary.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains("train-labels-idx1-ubyte: label 12 of item 2 is out of range"), "\(result.stderr)")

        write("train-labels-idx1-ubyte", magic: 0x803, dimensions: [4], payload: [0, 1, 2, 3])
        result = try ThinnedBinary.run(arguments)
        #expect(result.stderr.contains("train-labels-idx1-ubyte: not an IDX file of the expected kind: magic 0x00000803, expected 0x00000801"),
                "\(result.stderr)")

        write("train-labels-idx1-ubyte", magic: 0x801, dimensions: [4], payload: [0, 1, 2, 3])
        write("t10k-images-idx3-ubyte", magic: 0x803, dimensions: [4, 28, 28], payload: [UInt8](repeating: 9, count: 1000))
        result = try ThinnedBinary.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains("t10k-images-idx3-ubyte: truncated: expected 3152 bytes, found 1016"), "\(result.stderr)")
    }
}
