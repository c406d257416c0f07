/// The uncompressed bytes of an IDX file, raw or gzipped, after the two bytes that told which.
struct IDXSource: ByteReading {
    let input: ByteInput
    /// Bytes already read from a raw file to tell whether it is gzipped.
    private var prefix: [UInt8]
    private let inflater: GzipInflater?

    var isGzip: Bool { inflater != nil }

    init(input: ByteInput, prefix: [UInt8], gzip: Bool) throws(IDXError) {
        self.input = input
        if gzip {
            // The inflater must see the two bytes again: they start the gzip header.
            inflater = try GzipInflater(input, pending: prefix)
            self.prefix = []
        } else {
            inflater = nil
            self.prefix = prefix
        }
    }

    /// Fills the front of `buffer` and returns how many bytes: 0 at the end of the data.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IDXError) -> Int {
        if let inflater { return try inflater.read(into: buffer) }
        if !prefix.isEmpty {
            let n = min(prefix.count, buffer.count)
            for i in 0..<n { buffer[i] = prefix[i] }
            prefix.removeFirst(n)
            return n
        }
        return try input.read(into: buffer)
    }

    /// Exactly `count` header bytes, or `truncated` counting from `headerSoFar`.
    mutating func readExactly(_ count: Int, headerSoFar: Int) throws(IDXError) -> [UInt8] {
        let bytes = try read(upTo: count)
        guard bytes.count == count else {
            throw .truncated(path: input.path, expectedBytes: headerSoFar + count, actualBytes: headerSoFar + bytes.count)
        }
        return bytes
    }

    /// The `count` bytes of the payload, read in chunks into a buffer that starts at
    /// `initialCapacity` and grows (up to `count`) only as the bytes arrive.
    mutating func readPayload(_ count: Int, headerBytes: Int, initialCapacity: Int) throws(IDXError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(initialCapacity)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, min(count, IDXFile.readChunkBytes)), alignment: 16)
        defer { chunk.deallocate() }
        while bytes.count < count {
            let want = min(chunk.count, count - bytes.count)
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[..<want]))
            if got == 0 {
                throw .truncated(path: input.path, expectedBytes: headerBytes + count, actualBytes: headerBytes + bytes.count)
            }
            if bytes.count + got > bytes.capacity {
                bytes.reserveCapacity(min(count, max(2 * bytes.capacity, bytes.count + got)))
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<got]))
        }
        return bytes
    }
}
