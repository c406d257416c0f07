import Foundation
import Testing

/// `thinned evaluate` end to end.
@Suite(.serialized) struct EvaluateCommandTests {
    @Test func compareAndExactAndErrors() throws {
        let path = NSTemporaryDirectory() + "thinned-eval-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trained = try ThinnedBinary.run(["train", "--data", "synthetic", "--layers", "784,16,10", "--epochs", "1",
                                             "--limit", "400", "--checkpoint", path])
        #expect(trained.status == 0, "\(trained.stderr)")

        let compare = try ThinnedBinary.run(["evaluate", "--checkpoint", path, "--data", "synthetic", "--inference", "compare",
                                             "--limit", "100"])
        #expect(compare.status == 0, "\(compare.stderr)")
        for rule in ["weight scaling", "MC dropout, T=1 ", "MC dropout, T=10 ", "MC dropout, T=100"] {
            #expect(compare.stdout.contains(rule), "\(rule) missing: \(compare.stdout)")
        }
        #expect(compare.stdout.contains("confusion matrix"))

        let exact = try ThinnedBinary.run(["evaluate", "--checkpoint", path, "--data", "synthetic", "--inference", "exact"])
        #expect(exact.status != 0)
        #expect(exact.stderr.contains("--inference exact: the model has 800 droppable units; at most 20"), "\(exact.stderr)")

        let missing = try ThinnedBinary.run(["evaluate", "--checkpoint", "/nonexistent.safetensors"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent.safetensors: cannot read the checkpoint: no such file"))
    }

    /// DropConnect's masks drop weights, which the exact rule does not enumerate: refused by name,
    /// even for a model whose units would be few enough; Monte-Carlo serves it.
    @Test func exactRefusesWeightMasks() throws {
        let path = NSTemporaryDirectory() + "thinned-eval-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trained = try ThinnedBinary.run(["train", "--data", "synthetic", "--layers", "784,4,10", "--dropout", "dropconnect",
                                             "--epochs", "1", "--limit", "200", "--checkpoint", path])
        #expect(trained.status == 0, "\(trained.stderr)")
        let exact = try ThinnedBinary.run(["evaluate", "--checkpoint", path, "--inference", "exact", "--limit", "10"])
        #expect(exact.status != 0)
        #expect(exact.stderr.contains("--inference exact: enumerating DropConnect's weight masks is not supported; use --inference mc"),
                "\(exact.stderr)")
        let sampled = try ThinnedBinary.run(["evaluate", "--checkpoint", path, "--inference", "mc", "--samples", "2", "--limit", "10"])
        #expect(sampled.status == 0, "\(sampled.stderr)")
    }
}
