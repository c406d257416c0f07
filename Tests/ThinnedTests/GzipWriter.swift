import CZlib

/// gzip files written with zlib's deflate, for the reader's tests: whole files, and bombs — a
/// header followed by gigabytes of zeros — built from one compressed block repeated, so that a
/// 6 GB bomb is written in a fraction of a second instead of deflating 6 GB.
enum GzipWriter {
    /// `bytes` as one gzip member (deflate level 9).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        return run(&stream, bytes, flush: Z_FINISH)
    }

    /// A gzip member holding `header` then `zeros` zero bytes, with a correct CRC-32 and ISIZE
    /// trailer: about 1 kB per MiB of zeros.
    static func bomb(header: [UInt8], zeros: Int) -> [UInt8] {
        let mebibyte = 1 << 20
        // Every piece is deflated by a fresh raw stream and ends on a byte boundary (a full
        // flush), so the pieces concatenate into one valid deflate stream.
        let head = raw(header, flush: Z_FULL_FLUSH)
        let block = zeros >= mebibyte ? raw([UInt8](repeating: 0, count: mebibyte), flush: Z_FULL_FLUSH) : []
        let tail = raw([UInt8](repeating: 0, count: zeros % mebibyte), flush: Z_FINISH)
        var file: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]
        file += head
        file.reserveCapacity(file.count + block.count * (zeros / mebibyte) + tail.count + 8)
        for _ in 0..<(zeros / mebibyte) { file += block }
        file += tail

        var crc = header.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        let zeroBlock = [UInt8](repeating: 0, count: mebibyte)
        let blockCRC = zeroBlock.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt(mebibyte)) }
        for _ in 0..<(zeros / mebibyte) { crc = crc32_combine(crc, blockCRC, .init(mebibyte)) }
        let tailCRC = zeroBlock.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt(zeros % mebibyte)) }
        crc = crc32_combine(crc, tailCRC, .init(zeros % mebibyte))
        let length = UInt32(truncatingIfNeeded: header.count + zeros)
        file += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: UInt32(crc) >> $0) }
        file += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: length >> $0) }
        return file
    }

    /// `bytes` deflated by a fresh raw (headerless) stream, ending with `flush`.
    private static func raw(_ bytes: [UInt8], flush: Int32) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_RLE,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        return run(&stream, bytes, flush: flush)
    }

    private static func run(_ stream: inout z_stream, _ bytes: [UInt8], flush: Int32) -> [UInt8] {
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let status = deflate(&stream, flush)
                precondition(status == Z_OK || status == Z_STREAM_END, "deflate: \(status)")
                precondition(stream.avail_in == 0, "deflate: output buffer too small")
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[..<produced])
    }
}
