import CZlib
import Testing
@testable import thinned

/// The PNG encoder of `augment --preview`, read back chunk by chunk: lengths, CRC-32s checked
/// with zlib, the header's fields, and the inflated scanlines against the pixels.
@Suite struct PNGTests {
    struct Chunk {
        let type: String
        let body: [UInt8]
    }

    /// The chunks after the signature, each CRC checked; nil when a length or a CRC is wrong.
    static func chunks(_ png: [UInt8]) -> [Chunk]? {
        func word(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        var chunks: [Chunk] = [], at = 8
        while at < png.count {
            guard at + 12 <= png.count else { return nil }
            let length = word(at), end = at + 8 + length
            guard end + 4 <= png.count else { return nil }
            let typed = Array(png[(at + 4)..<end])
            let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            guard word(end) == Int(crc) else { return nil }
            chunks.append(Chunk(type: String(decoding: typed.prefix(4), as: UTF8.self), body: Array(typed.dropFirst(4))))
            at = end + 4
        }
        return chunks
    }

    @Test func grayscaleImageReadsBack() throws {
        let png = PNG.grayscale(width: 3, height: 2, pixels: [0, 0.5, 1, 1, 0.25, -3])
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let chunks = try #require(Self.chunks(png))
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        // Width 3, height 2, bit depth 8, grayscale, deflate, no filter, no interlace.
        #expect(chunks[0].body == [0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0])
        #expect(chunks[2].body.isEmpty)
        var raw = [UInt8](repeating: 0, count: 64)
        var rawLength = uLong(raw.count)
        #expect(uncompress(&raw, &rawLength, chunks[1].body, uLong(chunks[1].body.count)) == Z_OK)
        // Each row: filter 0, then the pixels × 255, rounded and clamped to [0, 255].
        #expect(Array(raw.prefix(Int(rawLength))) == [0, 0, 128, 255, 0, 255, 64, 0])
    }
}
