import CZlib

/// A gzip stream (RFC 1952) decompressed as it is read, verified as it arrives: every member's
/// CRC-32 and ISIZE trailer (zlib checks both before it reports the member's end), a stream cut
/// anywhere before its trailer, and whatever follows the last member (only another complete
/// member may). Nothing is allocated from what the data claims: output goes to the caller's
/// buffer, input is read in fixed chunks.
///
/// The corresponding zlib calls are `inflateInit2_` (window bits 16 + 15: gzip wrapper),
/// `inflate`, `inflateReset` and `inflateEnd`.
final class GzipInflater {
    private let input: ByteInput
    private var stream = z_stream()
    private var chunk: UnsafeMutableRawBufferPointer
    /// Whether the member under way has ended (its trailer verified).
    private var memberEnded = false
    /// Whether the input is used up.
    private var inputEnded = false

    static let chunkBytes = 1 << 16

    /// Decompresses `pending` (bytes already taken from `input`), then the rest of `input`.
    init(_ input: ByteInput, pending: [UInt8]) throws(IDXError) {
        precondition(pending.count <= Self.chunkBytes, "GzipInflater: \(pending.count) pending bytes")
        self.input = input
        chunk = .allocate(byteCount: Self.chunkBytes, alignment: 16)
        for (i, byte) in pending.enumerated() { chunk[i] = byte }
        let status = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            chunk.deallocate()
            throw .unreadable(path: input.path, reason: "zlib could not start (\(status))")
        }
        stream.next_in = chunk.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = UInt32(pending.count)
    }

    deinit {
        inflateEnd(&stream)
        chunk.deallocate()
    }

    /// Decompresses into the front of `buffer` and returns the bytes written: fewer than asked
    /// only at the end of the last member, 0 after it.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(IDXError) -> Int {
        guard buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let asked = Int(stream.avail_out)
        while stream.avail_out > 0 {
            if memberEnded {
                // Only another gzip member may follow a member: its first byte is 0x1f, and
                // inflate checks the rest of its header.
                if stream.avail_in == 0 { try refill() }
                if stream.avail_in == 0 { break }
                guard stream.next_in[0] == 0x1f else {
                    throw .trailingData(path: input.path, bytes: Int(stream.avail_in) + input.count - input.offset)
                }
                inflateReset(&stream)
                memberEnded = false
            }
            if stream.avail_in == 0 {
                try refill()
                if stream.avail_in == 0 {
                    throw .corruptGzip(path: input.path, reason: "the file ends inside a gzip member (cut before its trailer)")
                }
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END: memberEnded = true
            case Z_OK, Z_BUF_ERROR: continue
            case Z_MEM_ERROR: throw .unreadable(path: input.path, reason: "zlib is out of memory")
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw .corruptGzip(path: input.path, reason: reason)
            }
        }
        return asked - Int(stream.avail_out)
    }

    /// Reads the next chunk of compressed input, when there is one.
    private func refill() throws(IDXError) {
        guard !inputEnded else { return }
        let got = try input.read(into: chunk)
        if got == 0 { inputEnded = true }
        stream.next_in = chunk.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = UInt32(got)
    }
}
