import Foundation
import Testing

/// `thinned train` with clipping and DP-SGD: ε where a user looks for it, resumed runs that go on
/// counting, and every bad option refused in one line.
@Suite(.serialized) struct PrivacyCommandTests {
    static let small = TrainCommandTests.small

    @Test(arguments: [
        (["--noise-multiplier", "1"], "--noise-multiplier 1.0: needs --clip C (the noise is σ·C)"),
        (["--delta", "1e-6"], "--delta 1e-06: there is no privacy guarantee without --clip and --noise-multiplier"),
        (["--clip", "0"], "--clip 0.0: expected a finite norm above 0"),
        (["--clip", "inf"], "--clip inf: expected a finite norm above 0"),
        (["--clip", "1", "--noise-multiplier", "-1"], "--noise-multiplier -1.0: expected a σ from 0 to 10⁶"),
        (["--clip", "1", "--noise-multiplier", "1e300"], "--noise-multiplier 1e+300: expected a σ from 0 to 10⁶"),
        (["--clip", "1e39"], "--clip 1e+39: expected a finite norm above 0"),
        (["--clip", "1", "--delta", "1e-6"], "--delta 1e-06: no noise is added"),
        (["--noise-seed", "5"], "--noise-seed 5: there is no noise without --clip"),
        (["--clip", "1", "--noise-seed", "5"], "--noise-seed 5: no noise is added"),
        (["--clip", "1", "--target-epsilon", "3", "--batch", "5000"], "--batch 5000: expected at most the 500 training samples"),
        (["--clip", "1", "--noise-multiplier", "1", "--delta", "1"], "--delta 1.0: expected a probability in (0, 1)"),
        (["--clip", "1", "--noise-multiplier", "1", "--delta", "0"], "--delta 0.0: expected a probability in (0, 1)"),
        (["--target-epsilon", "2"], "--target-epsilon 2.0: needs --clip C"),
        (["--clip", "1", "--target-epsilon", "0"], "--target-epsilon 0.0: expected a finite ε above 0"),
        (["--clip", "1", "--target-epsilon", "3", "--noise-multiplier", "1"], "give one; the target chooses σ"),
        (["--clip", "1", "--target-epsilon", "1e-6"], "--target-epsilon 1e-06: no noise multiplier up to 10⁶ spends so little"),
    ])
    func badOptionsAreRefused(extra: [String], message: String) throws {
        let result = try ThinnedBinary.run(Self.small + extra)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("epoch 1/"), "it trained: \(result.stdout)")
    }

    @Test func augmentAndEnsembleRefuseTheOptions() throws {
        let augment = try ThinnedBinary.run(["augment", "--data", "synthetic", "--count", "2", "--clip", "1", "--preview", NSTemporaryDirectory() + "thinned-dp-\(UUID().uuidString).png"])
        #expect(augment.status != 0 && augment.stderr.contains("--clip 1.0: augment only draws transforms"), "\(augment.stderr)")
        let ensemble = try ThinnedBinary.run(["ensemble", "--data", "synthetic", "--members", "2", "--clip", "1", "--noise-multiplier", "1",
                                              "--out", NSTemporaryDirectory() + "thinned-dp-ensemble-\(UUID().uuidString)"])
        #expect(ensemble.status != 0 && ensemble.stderr.contains("ensemble does not account privacy"), "\(ensemble.stderr)")
    }

    /// ε in the header, every epoch, the metrics and the checkpoint; a resumed run counts on from
    /// where it stopped and ends where the uninterrupted run ends (bits and ε), and refuses other
    /// DP options.
    @Test func epsilonIsReportedAndResumeCountsOn() throws {
        let folder = NSTemporaryDirectory() + "thinned-dp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dp = ["--clip", "1", "--noise-multiplier", "1.1", "--noise-seed", "77"]
        let whole = try ThinnedBinary.run(Self.small + dp + ["--metrics", folder + "-whole.jsonl"])
        defer { try? FileManager.default.removeItem(atPath: folder + "-whole.jsonl") }
        #expect(whole.status == 0, "\(whole.stderr)")
        // 500 samples at batch 50: q = 0.1, 10 steps per epoch.
        #expect(whole.stdout.contains("privacy: DP-SGD, gradients clipped to norm 1.0, noise σ 1.1 × C, sampling rate q = 0.1; RDP accountant: ε "))
        #expect(whole.stderr.contains("Poisson sampling"))
        let epochs = whole.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") && $0.contains("test accuracy") }
        #expect(epochs.count == 2 && epochs.allSatisfy { $0.contains(" ε ") && $0.contains("(δ 1e-05)") }, "\(whole.stdout)")
        let metrics = try String(contentsOfFile: folder + "-whole.jsonl", encoding: .utf8).split(separator: "\n")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(metrics.last!.utf8)) as? [String: Any])
        let finalEpsilon = try #require(last["epsilon"] as? Double)
        #expect(finalEpsilon > 0 && (last["epsilonOrder"] as? Double) != nil)

        let first = try ThinnedBinary.run(Self.small + dp + ["--epochs", "1", "--checkpoint", folder])
        #expect(first.status == 0, "\(first.stderr)")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/trainer_state.json")))
            as? [String: Any])
        let privacy = try #require((state["configuration"] as? [String: Any])?["privacy"] as? [String: Any])
        #expect(privacy["clip"] as? Double == 1 && privacy["noise_multiplier"] as? Double == 1.1 && privacy["delta"] as? Double == 1e-5
                && (privacy["noise_seed"] as? NSNumber)?.uint64Value == 77)
        #expect((state["epsilon"] as? Double).map { $0 > 0 && $0 < finalEpsilon } == true)

        let refused = try ThinnedBinary.run(["train", "--resume", folder, "--epochs", "2", "--noise-multiplier", "2"])
        #expect(refused.status != 0 && refused.stderr.contains("--noise-multiplier 2.0 contradicts the run"), "\(refused.stderr)")
        let target = try ThinnedBinary.run(["train", "--resume", folder, "--epochs", "2", "--clip", "1", "--target-epsilon", "3"])
        #expect(target.status != 0 && target.stderr.contains("a resumed run keeps the σ of its checkpoint"), "\(target.stderr)")
        let resumed = try ThinnedBinary.run(["train", "--resume", folder, "--epochs", "2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(TrainCommandTests.digest(resumed.stdout) == TrainCommandTests.digest(whole.stdout))
        let lastEpoch = try #require(resumed.stdout.split(separator: "\n").last { $0.hasPrefix("epoch 2/2") && $0.contains("ε") })
        let wholeLast = try #require(epochs.last)
        #expect(lastEpoch.split(separator: " ε ").last == wholeLast.split(separator: " ε ").last)
    }

    /// Without `--noise-seed` the noise's key is a fresh secret: two runs differ; with the same
    /// key they agree. Noise too small to bound anything reports ε = ∞ and does not hang; a huge
    /// target ends.
    @Test func theNoiseKeyIsSecretUnlessGiven() throws {
        let dp = Self.small + ["--epochs", "1", "--clip", "1", "--noise-multiplier", "1"]
        let a = try ThinnedBinary.run(dp), b = try ThinnedBinary.run(dp)
        #expect(a.status == 0 && b.status == 0)
        #expect(TrainCommandTests.digest(a.stdout) != TrainCommandTests.digest(b.stdout))
        let c = try ThinnedBinary.run(dp + ["--noise-seed", "9"]), d = try ThinnedBinary.run(dp + ["--noise-seed", "9"])
        #expect(TrainCommandTests.digest(c.stdout) == TrainCommandTests.digest(d.stdout))
        let tiny = try ThinnedBinary.run(Self.small + ["--epochs", "1", "--clip", "1", "--noise-multiplier", "1e-154"])
        #expect(tiny.status == 0 && tiny.stdout.contains("ε ∞ (δ 1e-05)"), "\(tiny.stdout)\(tiny.stderr)")
        let huge = try ThinnedBinary.run(Self.small + ["--epochs", "1", "--clip", "1", "--target-epsilon", "1e15"])
        #expect(huge.status == 0, "\(huge.stderr)")
    }

    /// A damaged privacy record in a checkpoint is refused naming the field.
    @Test func aDamagedPrivacyRecordIsRefused() throws {
        let folder = NSTemporaryDirectory() + "thinned-dpbad-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trained = try ThinnedBinary.run(Self.small + ["--epochs", "1", "--clip", "1", "--noise-multiplier", "1", "--checkpoint", folder])
        #expect(trained.status == 0, "\(trained.stderr)")
        let path = folder + "/trainer_state.json"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        for (from, to, field) in [("\"clip\":1.0", "\"clip\":-1.0", "configuration"), ("\"noise_seed\":", "\"noise_seed\":\"x\",\"y\":", "configuration.privacy.noise_seed"),
                                  ("\"delta\":", "\"extra\":1,\"delta\":", "configuration.privacy.extra"),
                                  ("\"epsilon\":", "\"epsilon\":\"lots\",\"x\":", "epsilon")] {
            #expect(original.contains(from), "\(from) not in \(original)")
            try original.replacingOccurrences(of: from, with: to).write(toFile: path, atomically: true, encoding: .utf8)
            let resumed = try ThinnedBinary.run(["train", "--resume", folder, "--epochs", "2"])
            #expect(resumed.status != 0 && resumed.stderr.contains(field), "\(to): \(resumed.stderr)")
            #expect(!resumed.stderr.contains("Fatal error"))
        }
    }

    /// Poisson sampling: recorded in the checkpoint, resumed to the same bits, no warning about
    /// shuffled batches, refused by scale.
    @Test func poissonSamplingResumesAndIsRecorded() throws {
        let folder = NSTemporaryDirectory() + "thinned-poisson-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dp = ["--clip", "1", "--noise-multiplier", "1", "--noise-seed", "3", "--sampling", "poisson"]
        let whole = try ThinnedBinary.run(Self.small + dp)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.contains("Poisson sampling (each example with probability 0.1 per step)"))
        #expect(!whole.stderr.contains("Poisson sampling); these steps take the shuffled"))
        let first = try ThinnedBinary.run(Self.small + dp + ["--epochs", "1", "--checkpoint", folder])
        #expect(first.status == 0, "\(first.stderr)")
        let state = try String(contentsOfFile: folder + "/trainer_state.json", encoding: .utf8)
        #expect(state.contains("\"sampling\":\"poisson\""))
        let contradicting = try ThinnedBinary.run(["train", "--resume", folder, "--epochs", "2", "--sampling", "shuffle"])
        #expect(contradicting.status != 0 && contradicting.stderr.contains("--sampling shuffle contradicts the run"))
        let resumed = try ThinnedBinary.run(["train", "--resume", folder, "--epochs", "2"])
        #expect(TrainCommandTests.digest(resumed.stdout) == TrainCommandTests.digest(whole.stdout))
        // An epoch of one step (batch = the training set) still stops when asked, between epochs.
        let single = try ThinnedBinary.run(["train", "--data", "synthetic", "--layers", "784,32,10", "--limit", "500", "--batch", "500",
                                            "--epochs", "3", "--sampling", "poisson", "--stop-after", "1", "--checkpoint", folder + "-one"])
        defer { try? FileManager.default.removeItem(atPath: folder + "-one") }
        #expect(single.status == 3 && single.stdout.contains("stopped after 1 steps at epoch 2, step 0"), "\(single.stdout)\(single.stderr)")
        let scale = try ThinnedBinary.run(["scale", "--sampling", "poisson", "--threads", "1", "--batch", "10", "--layers", "784,8,10"])
        #expect(scale.status != 0 && scale.stderr.contains("--sampling poisson: scale times fixed-size batches"))
    }

    @Test func perSampleStatisticsAreReported() throws {
        let result = try ThinnedBinary.run(Self.small + ["--clip", "1", "--per-sample-stats"])
        #expect(result.status == 0, "\(result.stderr)")
        let epochs = result.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") && $0.contains("test accuracy") }
        #expect(epochs.count == 2 && epochs.allSatisfy { $0.contains("‖∇ᵢ‖ min/10%/50%/90%/max ") && $0.contains("clipped ") && $0.contains("B_simple ") },
                "\(result.stdout)")
        let plain = try ThinnedBinary.run(Self.small + ["--per-sample-stats"])
        let unmeasured = try ThinnedBinary.run(Self.small)
        #expect(TrainCommandTests.digest(plain.stdout) == TrainCommandTests.digest(unmeasured.stdout))
        #expect(!plain.stdout.contains("clipped "))
    }
}
