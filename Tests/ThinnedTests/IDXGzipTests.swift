import Foundation
import Testing
@testable import Thinned

/// The gzip half of the IDX reader: bounded, verified decompression. Every damaged stream here
/// was accepted (or trapped) by the `gzread` reader this one replaced.
@Suite struct IDXGzipTests {
    static let path = "/data/train-labels-idx1-ubyte.gz"
    /// A labels file of 300 items: big enough that deflate emits more than a stored block.
    static let plain: [UInt8] = IDXTests.Folder.idx(magic: 0x0801, dimensions: [300], payload: (0..<300).map { UInt8($0 % 10) })
    static let gzipped = GzipWriter.compress(plain)

    func decode(_ bytes: [UInt8]) throws(IDXError) -> IDXFile {
        try IDXFile(decoding: bytes, path: Self.path, magic: IDXFile.labelsMagic)
    }

    func expectCorrupt(_ bytes: [UInt8], _ comment: Comment) {
        do {
            _ = try decode(bytes)
            Issue.record("accepted: \(comment)")
        } catch {
            switch error {
            case .corruptGzip, .trailingData, .truncated, .tooLong, .badMagic, .implausibleSize: break
            default: Issue.record("\(comment): unexpected \(error)")
            }
            #expect(error.description.hasPrefix(Self.path), comment)
        }
    }

    @Test func readsOneMemberAndSeveral() throws {
        #expect(try decode(Self.gzipped).bytes == Array(Self.plain.dropFirst(8)))
        // gzip's concatenation rule: members follow one another and their data joins up.
        let split = GzipWriter.compress(Array(Self.plain.prefix(100))) + GzipWriter.compress(Array(Self.plain.dropFirst(100)))
        #expect(try decode(split).bytes == Array(Self.plain.dropFirst(8)))
    }

    @Test func insertedAndDeletedBytesAreRefused() {
        let body = 10..<(Self.gzipped.count - 8)
        for position in body {
            var inserted = Self.gzipped
            inserted.insert(0x5a, at: position)
            expectCorrupt(inserted, "byte inserted at \(position)")
            var deleted = Self.gzipped
            deleted.remove(at: position)
            expectCorrupt(deleted, "byte deleted at \(position)")
        }
    }

    @Test func damagedTrailerIsRefused() {
        let count = Self.gzipped.count
        for position in (count - 8)..<count {
            var flipped = Self.gzipped
            flipped[position] ^= 0x01
            expectCorrupt(flipped, "trailer byte \(position) flipped (CRC-32 or ISIZE)")
        }
        for cut in 1...8 { expectCorrupt(Array(Self.gzipped.dropLast(cut)), "trailer cut by \(cut) bytes") }
    }

    @Test func trailingGarbageIsRefused() {
        #expect(throws: IDXError.trailingData(path: Self.path, bytes: 3)) { try decode(Self.gzipped + [0, 0, 0]) }
        expectCorrupt(Self.gzipped + [0x1f], "a lone byte of a second member")
        expectCorrupt(Self.gzipped + [0x1f, 0x8b, 8], "a second member cut in its header")
        expectCorrupt(Self.gzipped + GzipWriter.compress([1]), "a second member with data beyond the declared size")
    }

    @Test func aSmallBombIsReadExactly() throws {
        // The bomb writer's output is a valid gzip file: its zeros arrive, CRC and ISIZE agree.
        let header = IDXTests.Folder.idx(magic: 0x0803, dimensions: [3000, 28, 28], payload: [])
        let bomb = GzipWriter.bomb(header: header, zeros: 3000 * 784)
        #expect(bomb.count < 3000 * 784 / 500)
        let file = try IDXFile(decoding: bomb, path: Self.path, magic: IDXFile.imagesMagic)
        #expect(file.dimensions == [3000, 28, 28] && file.bytes.count == 3000 * 784 && file.bytes.allSatisfy { $0 == 0 })
    }

    /// Declared: 6.4 GB of bytes and 25.7 GB of Float pixels.
    static let bombBytes = 8_200_000 * 784 * 5

    @Test(.enabled(if: MemoryBudget.tightest().bytes < bombBytes, "a machine with more memory could load the bomb"))
    func aBombBeyondTheBudgetIsRefusedBeforeItIsInflated() throws {
        // 8.2 M images of 28×28 in 6.3 MB: 6.4 GB of bytes and 25.7 GB of Float pixels, more than
        // this machine's memory (and far more than `ulimit -v 4000000`; see HugeInputCommandTests).
        let images = 8_200_000
        let header = IDXTests.Folder.idx(magic: 0x0803, dimensions: [images, 28, 28], payload: [])
        let bomb = GzipWriter.bomb(header: header, zeros: images * 784)
        #expect(bomb.count < 7_000_000)
        let limit = MemoryBudget.tightest()
        #expect(throws: IDXError.tooLarge(.tooLarge(what: "\(Self.path): 8200000×28×28 items", neededBytes: images * 784 * 5,
                                                      availableBytes: MemoryBudget.tightest().bytes, limit: limit.name))) {
            try IDXFile(decoding: bomb, path: Self.path, magic: IDXFile.imagesMagic, convertedBytesPerItem: 4)
        }
    }

    @Test func aLyingHeaderIsFoundShort() throws {
        // 1 MB of noise does not deflate, so the file may claim up to 1 GB: it claims 78.4 MB and
        // holds 1 MB. The buffer grows only as bytes arrive, and the shortfall is reported.
        var stream = RandomStream(Philox(seed: 3), .syntheticData, a: 99)
        let noise = (0..<1_000_000).map { _ in UInt8(truncatingIfNeeded: stream.nextInt(below: 256)) }
        let header = IDXTests.Folder.idx(magic: 0x0803, dimensions: [100_000, 28, 28], payload: [])
        let file = GzipWriter.compress(header + noise)
        #expect(throws: IDXError.truncated(path: Self.path, expectedBytes: 16 + 78_400_000, actualBytes: 16 + 1_000_000)) {
            try IDXFile(decoding: file, path: Self.path, magic: IDXFile.imagesMagic)
        }
    }

    @Test func sizesThatOverflowAreRefused() {
        // 454279 × 31252369 × 649657 = 2⁶³ − 1: the payload fits an Int, payload + header does not.
        for dimensions: [UInt32] in [[454_279, 31_252_369, 649_657], [0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [1 << 31, 1 << 31, 2]] {
            let header = ([0x0803] + dimensions).flatMap { value in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
            #expect(throws: IDXError.implausibleSize(path: "raw", dimensions: dimensions.map(Int.init))) {
                try IDXFile(decoding: header + [1, 2, 3], path: "raw", magic: IDXFile.imagesMagic)
            }
        }
    }
}
