import Foundation
import Testing

/// `thinned augment` and `thinned ensemble` / `evaluate --ensemble` end to end.
@Suite(.serialized) struct EnsembleCommandTests {
    @Test func previewWritesAPNG() throws {
        let path = NSTemporaryDirectory() + "thinned-preview-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ThinnedBinary.run(["augment", "--preview", path, "--count", "10", "--data", "synthetic",
                                            "--augment", "shift,rotate,erase"])
        #expect(result.status == 0, "\(result.stderr)")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        let bad = try ThinnedBinary.run(["augment", "--preview", path, "--augment", "shear", "--data", "synthetic"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown transform 'shear'"), "\(bad.stderr)")
    }

    @Test func ensembleTrainsMembersAndEvaluatesThem() throws {
        let folder = NSTemporaryDirectory() + "thinned-ensemble-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trained = try ThinnedBinary.run(["ensemble", "--members", "3", "--vary", "bagging", "--out", folder, "--data", "synthetic",
                                             "--layers", "784,8,10", "--epochs", "1", "--limit", "300", "--batch", "50"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("member 3 (seed 3, bootstrap)"))
        let evaluated = try ThinnedBinary.run(["evaluate", "--ensemble", folder, "--data", "synthetic"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/member-2/model.safetensors"))
        for line in ["member-1 (seed", "member-3 (seed", "mean member accuracy", "ensemble, averaged probabilities",
                     "ensemble, majority vote"] {
            #expect(evaluated.stdout.contains(line), "\(line) missing: \(evaluated.stdout)")
        }
        // Without --data, the members' own data (they record it), not the default data set.
        let own = try ThinnedBinary.run(["evaluate", "--ensemble", folder])
        #expect(own.status == 0 && own.stdout.contains("data: synthetic test"), "\(own.stdout)\(own.stderr)")
        // Options that would do nothing for an ensemble are refused, not ignored.
        let mc = try ThinnedBinary.run(["evaluate", "--ensemble", folder, "--inference", "mc"])
        #expect(mc.status != 0 && mc.stderr.contains("--inference mc applies to --checkpoint"), "\(mc.stderr)")
        let missing = try ThinnedBinary.run(["evaluate", "--ensemble", folder + "-missing"])
        #expect(missing.status == 1 && missing.stderr.contains("--ensemble \(folder)-missing: no such folder"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("Usage:"), "\(missing.stderr)")
        let member = folder + "/member-1/model.safetensors"
        let file = try ThinnedBinary.run(["evaluate", "--ensemble", member])
        #expect(file.status == 1 && file.stderr.contains("--ensemble \(member): cannot read: not a folder"), "\(file.stderr)")
        // A member folder that cannot be looked into stops the evaluation, named (a loop of links
        // stands for a folder without search permission, which root, who runs CI, never meets).
        let loop = folder + "/member-9"
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let unreadable = try ThinnedBinary.run(["evaluate", "--ensemble", folder, "--data", "synthetic"])
        #expect(unreadable.status == 1 && unreadable.stderr.contains("--ensemble \(loop): cannot read: "), "\(unreadable.stderr)")
        try FileManager.default.removeItem(atPath: loop)
        // So does a member that is a link to nothing.
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: folder + "/gone")
        let dangling = try ThinnedBinary.run(["evaluate", "--ensemble", folder, "--data", "synthetic"])
        #expect(dangling.status == 1 && dangling.stderr.contains("--ensemble \(loop): cannot read: a link to \(folder)/gone, which leads nowhere"),
                "\(dangling.stderr)")
        try FileManager.default.removeItem(atPath: loop)
        let neither = try ThinnedBinary.run(["evaluate"])
        #expect(neither.status != 0 && neither.stderr.contains("give --checkpoint FILE or --ensemble DIR"))
    }
}
