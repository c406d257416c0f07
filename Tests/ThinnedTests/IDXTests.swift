import Foundation
import Testing
@testable import Thinned

/// The IDX reader on files written here byte by byte, and on the real Fashion-MNIST.
@Suite struct IDXTests {
    /// A temporary folder holding a tiny, valid data set: 5 training and 3 test images of 2×3 pixels.
    final class Folder {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "thinned-idx-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (prefix, count) in [("train", 5), ("t10k", 3)] {
                write("\(prefix)-images-idx3-ubyte", Self.idx(magic: 0x0803, dimensions: [count, 2, 3],
                                                             payload: (0..<count * 6).map { UInt8($0 * 7 % 256) }))
                write("\(prefix)-labels-idx1-ubyte", Self.idx(magic: 0x0801, dimensions: [count],
                                                             payload: (0..<count).map { UInt8($0 % 4) }))
            }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func file(_ name: String) -> String { path + "/" + name }
        func write(_ name: String, _ bytes: [UInt8]) { _ = FileManager.default.createFile(atPath: file(name), contents: Data(bytes)) }
        func read(_ name: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: file(name))!) }
        func gzip(_ name: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-n", file(name)]
            try process.run()
            process.waitUntilExit()
        }

        static func idx(magic: UInt32, dimensions: [Int], payload: [UInt8]) -> [UInt8] {
            func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
            return bigEndian(magic) + dimensions.flatMap { bigEndian(UInt32($0)) } + payload
        }
    }

    func load(_ folder: Folder, classes: Int = 4) throws(IDXError) -> DataSplit {
        try DataSplit.idx(directory: folder.path, features: 6, classes: classes)
    }

    @Test func readsRawAndGzippedFiles() throws {
        let folder = try Folder()
        let raw = try load(folder)
        #expect(raw.train.count == 5 && raw.test.count == 3)
        #expect(raw.train.images[1] == Float(7) / 255)
        #expect(raw.train.labels == [0, 1, 2, 3, 0])
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"] { try folder.gzip(name) }
        let gzipped = try load(folder)
        #expect(gzipped.train.images == raw.train.images && gzipped.test.labels == raw.test.labels)
    }

    @Test func missingFolderAndFile() throws {
        #expect(throws: IDXError.missingDirectory(path: "/nonexistent/data")) {
            try DataSplit.idx(directory: "/nonexistent/data", features: 6, classes: 4)
        }
        let folder = try Folder()
        try FileManager.default.removeItem(atPath: folder.file("t10k-labels-idx1-ubyte"))
        #expect(throws: IDXError.missingFile(directory: folder.path, name: "t10k-labels-idx1-ubyte")) { try load(folder) }
    }

    /// A file the system cannot look up is said to be unreadable, with the system's reason, never
    /// "missing": a loop of links stands for any such case (a folder on the way without search
    /// permission gives EACCES the same way, but not to root, who runs CI).
    @Test func aFileThatCannotBeLookedUpIsUnreadableNotMissing() throws {
        let folder = try Folder()
        let name = "train-labels-idx1-ubyte"
        try FileManager.default.removeItem(atPath: folder.file(name))
        try FileManager.default.createSymbolicLink(atPath: folder.file(name), withDestinationPath: folder.file(name))
        #expect(throws: IDXError.unreadable(path: folder.file(name), reason: String(cString: strerror(ELOOP)))) { try load(folder) }
        #expect(throws: IDXError.unreadable(path: folder.file(name), reason: String(cString: strerror(ELOOP)))) {
            try DataSplit.idxFiles(directory: folder.path)
        }
        // The same for the folder itself.
        let loop = folder.file("loop")
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        #expect(throws: IDXError.unreadable(path: loop, reason: String(cString: strerror(ELOOP)))) {
            try DataSplit.idxFiles(directory: loop)
        }
        // A link to nothing is named as one, not as a missing file, unless the gzipped name is there.
        try FileManager.default.removeItem(atPath: folder.file(name))
        try FileManager.default.createSymbolicLink(atPath: folder.file(name), withDestinationPath: "gone")
        #expect(throws: IDXError.unreadable(path: folder.file(name), reason: "a link to gone, which leads nowhere")) {
            try load(folder)
        }
        folder.write(name + ".gz", [])
        #expect(try DataSplit.idxFiles(directory: folder.path)[1] == folder.file(name + ".gz"))
    }

    /// A path through a file is missing (ENOTDIR), as a path through nothing is.
    @Test func aPathThroughAFileIsMissing() throws {
        let folder = try Folder()
        #expect(Path.lookUp(folder.file("train-images-idx3-ubyte") + "/x") == .missing)
        #expect(Path.lookUp(folder.file("nothing") + "/x") == .missing)
        #expect(Path.lookUp(folder.file("train-images-idx3-ubyte")) == .found)
    }

    /// An empty path is quoted in the message, which would otherwise begin with a colon.
    @Test func anEmptyDataPathIsQuoted() {
        #expect(IDXError.missingDirectory(path: "").description.hasPrefix("'': no such data folder"))
    }

    /// `idxFiles` finds the four files, raw or gzipped, without reading them.
    @Test func idxFilesListsTheFourFiles() throws {
        let folder = try Folder()
        try folder.gzip("t10k-images-idx3-ubyte")
        #expect(try DataSplit.idxFiles(directory: folder.path) == ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                                  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte"].map(folder.file))
    }

    @Test func truncatedFiles() throws {
        let folder = try Folder()
        let name = "train-images-idx3-ubyte"
        folder.write(name, Array(folder.read(name).dropLast(4)))
        #expect(throws: IDXError.truncated(path: folder.file(name), expectedBytes: 46, actualBytes: 42)) { try load(folder) }
        folder.write(name, Array(folder.read(name).prefix(10)))
        #expect(throws: IDXError.truncated(path: folder.file(name), expectedBytes: 16, actualBytes: 10)) { try load(folder) }
    }

    @Test func truncatedGzipFile() throws {
        let folder = try Folder()
        let name = "train-images-idx3-ubyte"
        folder.write(name, Folder.idx(magic: 0x0803, dimensions: [5, 2, 3], payload: (0..<30).map { UInt8($0) }) + [UInt8](repeating: 0, count: 0))
        try folder.gzip(name)
        let gz = name + ".gz"
        folder.write(gz, Array(folder.read(gz).dropLast(12)))
        #expect(throws: IDXError.self) { try load(folder) }
        do { _ = try load(folder) } catch { #expect(error.description.hasPrefix(folder.file(gz))) }
    }

    @Test func wrongMagic() throws {
        let folder = try Folder()
        let name = "train-labels-idx1-ubyte"
        folder.write(name, Folder.idx(magic: 0x0803, dimensions: [5], payload: [0, 1, 2, 3, 0]))
        #expect(throws: IDXError.badMagic(path: folder.file(name), found: 0x0803, expected: 0x0801)) { try load(folder) }
    }

    @Test func labelOutOfRange() throws {
        let folder = try Folder()
        let name = "train-labels-idx1-ubyte"
        folder.write(name, Folder.idx(magic: 0x0801, dimensions: [5], payload: [0, 1, 9, 3, 0]))
        #expect(throws: IDXError.labelOutOfRange(path: folder.file(name), index: 2, label: 9, classes: 4)) { try load(folder) }
    }

    @Test func lyingHeaderIsRefusedBeforeAllocating() throws {
        let folder = try Folder()
        let name = "train-images-idx3-ubyte"
        folder.write(name, Folder.idx(magic: 0x0803, dimensions: [2_000_000_000, 28, 28], payload: [1, 2, 3]))
        #expect(throws: IDXError.truncated(path: folder.file(name), expectedBytes: 16 + 1_568_000_000_000, actualBytes: 19)) {
            try load(folder)
        }
        // The same lie, gzipped: deflate cannot expand a few dozen bytes to 1.5 TB.
        try folder.gzip(name)
        #expect(throws: IDXError.implausibleSize(path: folder.file(name + ".gz"), dimensions: [2_000_000_000, 28, 28])) {
            try load(folder)
        }
    }

    @Test func extraBytesAndMismatches() throws {
        let folder = try Folder()
        let name = "t10k-images-idx3-ubyte"
        folder.write(name, folder.read(name) + [0])
        #expect(throws: IDXError.tooLong(path: folder.file(name), expectedBytes: 34)) { try load(folder) }

        let other = try Folder()
        other.write("t10k-labels-idx1-ubyte", Folder.idx(magic: 0x0801, dimensions: [2], payload: [0, 1]))
        #expect(throws: IDXError.countMismatch(images: other.file("t10k-images-idx3-ubyte"), imageCount: 3,
                                               labels: other.file("t10k-labels-idx1-ubyte"), labelCount: 2)) { try load(other) }
        #expect(throws: IDXError.self) { try DataSplit.idx(directory: other.path, features: 784, classes: 4) }
    }

    @Test func fashionMNISTFromTheDebianPackage() throws {
        try #require(FileManager.default.fileExists(atPath: DataSplit.defaultDirectory),
                     "Tools/setup installs dataset-fashion-mnist")
        let split = try DataSplit.idx(directory: DataSplit.defaultDirectory, features: 784, classes: 10)
        #expect(split.train.count == 60_000 && split.test.count == 10_000)
        #expect(split.train.images.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(Set(split.test.labels) == Set(0..<10))
    }
}

@Suite struct EpochOrderTests {
    @Test func shuffleIsAReproduciblePermutationPerEpoch() {
        let a = EpochOrder(count: 1000, batchSize: 100, epoch: 0, seed: 5)
        #expect(Set(a.indices).count == 1000 && a.indices.allSatisfy { (0..<1000).contains($0) })
        #expect(a.indices == EpochOrder(count: 1000, batchSize: 100, epoch: 0, seed: 5).indices)
        #expect(a.indices != EpochOrder(count: 1000, batchSize: 100, epoch: 1, seed: 5).indices)
        #expect(a.indices != EpochOrder(count: 1000, batchSize: 100, epoch: 0, seed: 6).indices)
        #expect(a.indices != Array(0..<1000))
    }

    @Test func lastPartialBatchIsDropped() {
        let order = EpochOrder(count: 1050, batchSize: 100, epoch: 0, seed: 1)
        #expect(order.batches == 10)
        #expect(order.batch(9).count == 100)
    }

    @Test func configurationErrorsNameTheOption() {
        var configuration = TrainingConfiguration()
        configuration.model.hiddenDropRate = 1
        #expect(throws: ConfigurationError.invalid(option: "--p-hidden", value: "1.0", expected: "a drop probability in [0, 1)")) {
            try configuration.validate()
        }
        configuration = TrainingConfiguration(batchSize: 0)
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = TrainingConfiguration(model: ModelConfiguration(layers: [784], dropout: .none, inputDropRate: 0,
                                                                        hiddenDropRate: 0, initialization: .he))
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
