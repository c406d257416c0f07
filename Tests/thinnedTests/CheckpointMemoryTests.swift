import Foundation
import Testing
@testable import Thinned

/// A checkpoint larger than the memory the process may use is refused with the bytes it needs
/// and the bytes there are — not "Fatal error: failed to allocate" halfway through reading it.
@Suite(.serialized) struct CheckpointMemoryTests {
    @Test func checkpointBeyondTheAddressSpaceLimitIsRefusedWithBothSizes() throws {
        // 784-4096-10 with Adam: 13 MB of weights, 26 MB of optimizer state, 52 MB once loaded.
        let path = NSTemporaryDirectory() + "thinned-memory-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = ModelConfiguration(layers: [784, 4096, 10], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let configuration = TrainingConfiguration(model: model, optimizer: .init(kind: .adam), batchSize: 10, epochs: 1, seed: 3)
        try Checkpoint(configuration: configuration, state: TrainingState(model: model, optimizer: configuration.optimizer, seed: 3),
                       epoch: 0, stepInEpoch: 0, epochLossSum: 0).write(to: path)
        // Where the limit bites depends on the process's own mappings (libraries, threads), so
        // the limit is raised until the reading is what meets it.
        var outcomes: [String] = []
        for kilobytes in stride(from: 125_000, through: 400_000, by: 25_000) {
            let result = try ThinnedBinary.run(["evaluate", "--checkpoint", path, "--data", "synthetic", "--limit", "10", "--threads", "1"],
                                               under: ["sh", "-c", "ulimit -v \(kilobytes); exec timeout -k 5 30 \"$0\" \"$@\""])
            // The process ends, whatever the limit: OpenBLAS's server thread, unable to map its
            // buffer, retries forever, and an `exit` that waited for it never returned (the test
            // runner blocks SIGTERM in its children, hence timeout's -k).
            #expect(result.status != 124 && result.status != 137, "ulimit -v \(kilobytes): no exit within 30 s")
            let line = result.stderr.split(separator: "\n").first { $0.contains("Error") || $0.contains("error") }.map(String.init) ?? "exit \(result.status)"
            outcomes.append("\(kilobytes) KiB: \(line)")
            if line.contains("--checkpoint \(path)"), line.contains("needs"), line.contains("the address-space limit (ulimit -v) of \(kilobytes) KiB leaves") {
                #expect(result.status != 0)
                return
            }
        }
        Issue.record("no address-space limit gave the checkpoint's refusal: \(outcomes)")
    }
}
