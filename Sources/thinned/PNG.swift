import CZlib

/// A minimal PNG encoder for 8-bit grayscale images (PNG spec, ISO/IEC 15948): signature, IHDR,
/// one zlib-compressed IDAT (every scanline with filter 0), IEND; CRCs and compression by zlib.
/// Enough to let a person look at what the augmentations do (`thinned augment --preview`).
enum PNG {
    /// The PNG bytes of a `width × height` grayscale image, `pixels` row-major in [0, 1].
    static func grayscale(width: Int, height: Int, pixels: [Float]) -> [UInt8] {
        precondition(pixels.count == width * height, "PNG.grayscale: \(pixels.count) pixels for \(width)×\(height)")
        var raw = [UInt8](repeating: 0, count: height * (width + 1))
        for r in 0..<height {
            raw[r * (width + 1)] = 0  // filter type: none
            for c in 0..<width {
                raw[r * (width + 1) + 1 + c] = UInt8((min(max(pixels[r * width + c], 0), 1) * 255).rounded())
            }
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), Z_BEST_COMPRESSION)
        precondition(status == Z_OK, "PNG.grayscale: zlib compress2 failed with \(status)")

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, no filter, no interlace
        png.appendChunk("IHDR", header)
        png.appendChunk("IDAT", Array(compressed.prefix(Int(compressedLength))))
        png.appendChunk("IEND", [])
        return png
    }
}

extension [UInt8] {
    fileprivate mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) })
    }

    /// A chunk: the body's length, the type, the body, and the CRC-32 of type and body.
    fileprivate mutating func appendChunk(_ type: String, _ body: [UInt8]) {
        append(bigEndian: UInt32(body.count))
        let typed = Array(type.utf8) + body
        append(contentsOf: typed)
        let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        append(bigEndian: UInt32(crc))
    }
}
