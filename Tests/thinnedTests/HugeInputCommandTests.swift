import Foundation
import Testing

/// `thinned train` on inputs that ask for more memory than there is: refused with a message
/// that names the file or option, the bytes needed and the bytes available, never a trap.
@Suite(.serialized) struct HugeInputCommandTests {
    /// Runs the binary under an address-space cap of 4 GB, as the bug reports did.
    static let capped = ["bash", "-c", "ulimit -v 4000000; exec \"$0\" \"$@\""]

    @Test func aModelTooLargeIsRefusedWithTheBytes() throws {
        let result = try ThinnedBinary.run(["train", "--data", "synthetic", "--layers", "784,100000000,10", "--epochs", "1",
                                            "--threads", "1"])
        #expect(result.status != 0)
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        #expect(result.stderr.contains("--layers 784,100000000,10: the model's parameters"), "\(result.stderr)")
        #expect(result.stderr.contains("needs ") && (result.stderr.contains(" leaves ") || result.stderr.contains(" of physical memory")), "\(result.stderr)")
    }

    @Test func aGzipBombIsRefusedUnderAMemoryCap() throws {
        let folder = NSTemporaryDirectory() + "thinned-bomb-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func idx(_ magic: UInt32, _ dimensions: [Int]) -> [UInt8] {
            ([magic] + dimensions.map(UInt32.init)).flatMap { value in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        }
        // 8.2 M images of 28×28 declared, and really there: 6.4 GB of zeros in 6.3 MB.
        let bomb = GzipWriter.bomb(header: idx(0x0803, [8_200_000, 28, 28]), zeros: 8_200_000 * 784)
        let bombPath = folder + "/train-images-idx3-ubyte.gz"
        #expect(FileManager.default.createFile(atPath: bombPath, contents: Data(bomb)))
        #expect(FileManager.default.createFile(atPath: folder + "/train-labels-idx1-ubyte", contents: Data(idx(0x0801, [1]) + [0])))
        #expect(FileManager.default.createFile(atPath: folder + "/t10k-images-idx3-ubyte", contents: Data(idx(0x0803, [1, 28, 28]) + [UInt8](repeating: 0, count: 784))))
        #expect(FileManager.default.createFile(atPath: folder + "/t10k-labels-idx1-ubyte", contents: Data(idx(0x0801, [1]) + [0])))

        let result = try ThinnedBinary.run(["train", "--data", folder, "--layers", "784,32,10", "--epochs", "1", "--threads", "1"],
                                           under: Self.capped)
        #expect(result.status != 0)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("failed to allocate"), "\(result.stderr)")
        #expect(result.stderr.contains("\(bombPath): 8200000×28×28 items: needs 32.1 GB"), "\(result.stderr)")
        #expect(result.stderr.contains("the address-space limit (ulimit -v) of 4000000 KiB leaves"), "\(result.stderr)")
    }
}
