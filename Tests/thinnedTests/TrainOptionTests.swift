import Foundation
import Testing

/// Options that would do nothing are refused, the header says what the model really is, and the
/// messages a user sees are one clear line.
@Suite(.serialized) struct TrainOptionTests {
    static let small = TrainCommandTests.small

    @Test(arguments: [
        (["--momentum", "0.5"], "--momentum 0.5: only --optimizer momentum uses it (the optimizer is adam)"),
        (["--optimizer", "sgd", "--momentum", "0.5"], "--momentum 0.5: only --optimizer momentum uses it (the optimizer is sgd)"),
        (["--shift-px", "3"], "--shift-px 3: only --augment shift uses it"),
        (["--augment", "rotate", "--shift-px", "3"], "--shift-px 3: only --augment shift uses it"),
        (["--rotate-deg", "5"], "--rotate-deg 5.0: only --augment rotate uses it"),
        (["--erase-size", "4"], "--erase-size 4: only --augment erase uses it"),
        (["--augment", ""], "--augment '': expected a comma-separated list of shift, rotate, flip, erase"),
        (["--augment", "shift,"], "--augment 'shift,': expected a comma-separated list"),
        (["--checkpoint-every", "1"], "--checkpoint-every 1: there is no checkpoint to write; give --checkpoint PATH"),
        (["--checkpoint-every-steps", "5"], "--checkpoint-every-steps 5: there is no checkpoint to write"),
        (["--layers", "784,10", "--p-hidden", "0.3"], "--p-hidden 0.3: the model 784-10 has no hidden layer"),
        (["--dropout", "none", "--p-hidden", "0.3"], "--p-hidden 0.3: nothing is dropped with --dropout none"),
        (["--dropout", "dropconnect", "--p-input", "0.3"], "--p-input 0.3: no input unit is dropped with --dropout dropconnect"),
    ])
    func optionsThatWouldDoNothingAreRefused(extra: [String], message: String) throws {
        let result = try ThinnedBinary.run(Self.small + extra)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("epoch 1/"), "it trained: \(result.stdout)")
    }

    @Test func optionsThatMatterAreAccepted() throws {
        for extra in [["--optimizer", "momentum", "--momentum", "0.5"], ["--augment", "shift,erase", "--shift-px", "1", "--erase-size", "3"]] {
            let result = try ThinnedBinary.run(Self.small + ["--epochs", "1"] + extra)
            #expect(result.status == 0, "\(extra): \(result.stderr)")
        }
    }

    @Test func theHeaderSaysWhatTheModelIs() throws {
        let regression = try ThinnedBinary.run(Self.small + ["--layers", "784,10", "--epochs", "1"])
        #expect(regression.status == 0, "\(regression.stderr)")
        let model = try #require(regression.stdout.split(separator: "\n").first { $0.hasPrefix("model: ") })
        #expect(model == "model: 784-10 (7850 parameters), no hidden layer (softmax regression), inverted dropout p_input 0.2, xavier init")
        let connect = try ThinnedBinary.run(Self.small + ["--dropout", "dropconnect", "--epochs", "1"])
        #expect(connect.stdout.contains("model: 784-32-10 (25450 parameters), ReLU hidden units, dropconnect (each weight dropped with p 0.5), xavier init"),
                "\(connect.stdout)")
    }

    /// An IDX folder whose labels are 0…9 (ten classes), two images per split.
    static func tenClassFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "thinned-ten-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        for prefix in ["train", "t10k"] {
            let images = bigEndian(0x803) + bigEndian(10) + bigEndian(28) + bigEndian(28) + [UInt8](repeating: 7, count: 10 * 784)
            let labels = bigEndian(0x801) + bigEndian(10) + (0..<10).map(UInt8.init)
            #expect(FileManager.default.createFile(atPath: "\(folder)/\(prefix)-images-idx3-ubyte", contents: Data(images)))
            #expect(FileManager.default.createFile(atPath: "\(folder)/\(prefix)-labels-idx1-ubyte", contents: Data(labels)))
        }
        return folder
    }

    @Test func theOutputLayerMustHaveOneUnitPerClass() throws {
        let folder = try Self.tenClassFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = ["train", "--data", folder, "--batch", "5", "--epochs", "1"]
        #expect(try ThinnedBinary.run(arguments + ["--layers", "784,8,10"]).status == 0)
        let result = try ThinnedBinary.run(arguments + ["--layers", "784,8,12"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--layers: the output layer has 12 units; expected 10, one per class of the data in \(folder)"),
                "\(result.stderr)")
    }

    @Test func dropConnectAppliesAugmentationForAnyThreadCount() throws {
        let connect = Self.small + ["--dropout", "dropconnect", "--epochs", "1"]
        var plain: Set<String> = [], augmented: Set<String> = []
        for threads in ["1", "2"] {
            let without = try ThinnedBinary.run(connect + ["--threads", threads])
            let with = try ThinnedBinary.run(connect + ["--threads", threads, "--augment", "shift,erase"])
            #expect(without.status == 0 && with.status == 0, "\(without.stderr)\(with.stderr)")
            plain.insert(try #require(TrainCommandTests.digest(without.stdout)))
            augmented.insert(try #require(TrainCommandTests.digest(with.stdout)))
        }
        #expect(plain.count == 1 && augmented.count == 1, "digests depend on the thread count: \(plain) \(augmented)")
        #expect(plain != augmented, "--augment changed nothing under DropConnect")
    }

    @Test(arguments: [("--lr", "-0.01", "--lr -0.01: expected a positive learning rate"),
                      ("--p-input", "-0.1", "--p-input -0.1: expected a drop probability in [0, 1)"),
                      ("--batch", "-5", "--batch -5: expected at least 1 sample")])
    func aNegativeNumberReadsTheSameWithOrWithoutEquals(option: String, value: String, message: String) throws {
        let separate = try ThinnedBinary.run(Self.small + [option, value])
        let joined = try ThinnedBinary.run(Self.small + ["\(option)=\(value)"])
        #expect(separate.status != 0 && joined.status != 0)
        #expect(separate.stderr.contains(message), "\(separate.stderr)")
        #expect(separate.stderr == joined.stderr)
    }

    @Test func aBrokenFileIsOneLineWithoutUsage() throws {
        let path = NSTemporaryDirectory() + "thinned-garbage-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data("not a checkpoint".utf8)))
        let folder = try Self.tenClassFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(FileManager.default.createFile(atPath: folder + "/t10k-labels-idx1-ubyte", contents: Data([0, 0, 8])))
        for arguments in [["train", "--resume", path, "--data", "synthetic"], ["evaluate", "--checkpoint", path, "--data", "synthetic"],
                          ["train", "--data", folder, "--layers", "784,8,10", "--batch", "5"],
                          ["train", "--resume", "/nonexistent.safetensors"]] {
            let result = try ThinnedBinary.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("warning: ") }
            #expect(lines.count == 1 && lines[0].hasPrefix("Error: "), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Usage:"), "\(arguments): \(result.stderr)")
        }
        // A wrong option still shows how to use the command.
        #expect(try ThinnedBinary.run(["train", "--bogus"]).stderr.contains("Usage: thinned train"))
    }
}
