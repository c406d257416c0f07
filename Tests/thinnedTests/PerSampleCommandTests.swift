import Foundation
import Testing
import Parallel
@testable import Thinned

/// `thinned per-sample`: the file a user gets holds what the library computes, under the
/// checkpoint's names, and bad requests are refused before anything is written.
@Suite(.serialized) struct PerSampleCommandTests {
    @Test func theFileHoldsEverySamplesGradientUnderTheCheckpointsNames() throws {
        let folder = NSTemporaryDirectory() + "thinned-ps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trained = try ThinnedBinary.run(TrainCommandTests.small + ["--epochs", "1", "--checkpoint", folder + "/run"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let out = folder + "/grads.safetensors"
        // 19 samples: two windows, the second partial.
        let result = try ThinnedBinary.run(["per-sample", "--checkpoint", folder + "/run", "--samples", "3...21", "--masks-of-step", "2",
                                            "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try SafeTensors(decoding: Data(contentsOf: URL(fileURLWithPath: out)), path: out)
        #expect(file.metadata["masks"] == "step 2" && file.metadata["samples"] == "3...21")
        let saved = try Checkpoint(path: folder + "/run")
        let layout = ParameterLayout(widths: saved.configuration.model.layers)
        #expect(file.tensors.map(\.name) == ["loss", "norm", "index"] + layout.tensors.map(\.name))
        #expect(file["index"]?.values == (3...21).map(Float.init))
        let split = DataSplit.synthetic(features: 784, classes: 10, seed: saved.configuration.seed)
        try PerSampleGradients(model: saved.configuration.model, seed: saved.configuration.seed, pool: DispatchExecutor(workers: 2))
            .compute((3...21).map { Int32($0) }, of: split.train, parameters: saved.state.parameters, masks: .step(2)) { window in
                for k in 0..<window.losses.count {
                    let s = window.first + k
                    #expect(file["loss"]?.values[s] == window.losses[k] && file["norm"]?.values[s] == window.norms[k])
                    for tensor in layout.tensors {
                        let stored = file[tensor.name]!.values[(s * tensor.range.count)..<((s + 1) * tensor.range.count)]
                        let computed = window.gradients[(k * layout.count + tensor.range.lowerBound)..<(k * layout.count + tensor.range.upperBound)]
                        #expect(Array(stored) == Array(computed), "\(tensor.name), sample \(s)")
                    }
                }
            }
    }

    @Test func badRequestsAreRefused() throws {
        let folder = NSTemporaryDirectory() + "thinned-ps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try ThinnedBinary.run(TrainCommandTests.small + ["--epochs", "1", "--checkpoint", folder + "/run"])
        let base = ["per-sample", "--checkpoint", folder + "/run", "--out", folder + "/x.safetensors"]
        for (extra, message) in [
            (["--samples", "5..<5"], "--samples 5..<5: expected A..<B, A...B or a comma-separated list"),
            (["--samples", "0..<501"], "--samples 0..<501: sample 500 is past the 500 training samples"),
            (["--samples", "1,x"], "--samples 1,x: expected"),
            (["--samples", "1", "--masks-of-step", "0"], "--masks-of-step 0: steps are counted from 1"),
            (["--samples", "1", "--masks-of-step", "4294967296"], "--masks-of-step 4294967296: steps are counted from 1 to 4294967295"),
            // Refused from its bounds, before a list of 10¹⁶ indices is built.
            (["--samples", "0..<9999999999999999"], "sample 9999999999999998 is past the 500 training samples"),
            (["--samples", "0...9223372036854775807"], "--samples 0...9223372036854775807: expected"),
        ] {
            let result = try ThinnedBinary.run(base + extra)
            #expect(result.status != 0 && result.stderr.contains(message), "\(extra): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/x.safetensors"))
        }
        let inside = try ThinnedBinary.run(["per-sample", "--checkpoint", folder + "/run", "--samples", "1", "--out", folder + "/run/model.safetensors"])
        #expect(inside.status != 0 && inside.stderr.contains("inside the checkpoint"), "\(inside.stderr)")
        #expect(try Checkpoint(path: folder + "/run").state.parameters.count > 0)
        // A model without dropout has no masks to take from a step.
        _ = try ThinnedBinary.run(TrainCommandTests.small + ["--epochs", "1", "--dropout", "none", "--checkpoint", folder + "/plain"])
        let unmasked = try ThinnedBinary.run(["per-sample", "--checkpoint", folder + "/plain", "--samples", "1", "--masks-of-step", "3",
                                              "--out", folder + "/z.safetensors"])
        #expect(unmasked.status != 0 && unmasked.stderr.contains("has no dropout"), "\(unmasked.stderr)")
        let missing = try ThinnedBinary.run(["per-sample", "--checkpoint", folder + "/none", "--samples", "1", "--out", folder + "/y"])
        #expect(missing.status != 0 && missing.stderr.contains("--checkpoint"), "\(missing.stderr)")
    }
}
