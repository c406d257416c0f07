/// One IDX file (LeCun's MNIST format), gzipped or not: a big-endian magic `00 00 08 <ndims>`,
/// `ndims` big-endian 32-bit sizes, then the unsigned bytes.
///
/// Nothing is allocated from a claim the data does not back. A raw file must be exactly as long
/// as its header says, checked before its payload is read. A gzip file is decompressed as it is
/// read, at most the size its header declares (which deflate must be able to expand the file
/// to), into a buffer that grows only as data really arrives; its CRC-32 and length trailers are
/// verified, and it must end exactly where the data ends. Either way the declared size — and
/// what the caller will turn each byte into — must fit in the `MemoryBudget` first.
public struct IDXFile: Sendable {
    /// The path the file was read from, as given (errors name it).
    public let path: String
    /// The sizes the header declares, outermost first: `[count]` for labels, `[count, rows, columns]` for images.
    public let dimensions: [Int]
    /// The payload, decompressed: the product of `dimensions` unsigned bytes, in row-major order.
    public let bytes: [UInt8]

    /// Magic of a file of unsigned bytes with one dimension (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Magic of a file of unsigned bytes with three dimensions (images).
    public static let imagesMagic: UInt32 = 0x0000_0803

    /// deflate cannot expand data by more than about 1032:1.
    static let maximumDeflateRatio = 1032
    /// Bytes a gzip file's payload buffer starts with; it grows as data arrives.
    static let initialGzipCapacity = 1 << 24
    /// Bytes read per call while the payload arrives.
    static let readChunkBytes = 1 << 18

    /// Reads and validates the file at `path`, which must carry `magic`. `convertedBytesPerItem`
    /// is what the caller will turn each byte into (4 for `Float` pixels): the memory budget
    /// check covers it too.
    public init(path: String, magic: UInt32, convertedBytesPerItem: Int = 0) throws(IDXError) {
        try self.init(ByteInput(path: path), magic: magic, convertedBytesPerItem: convertedBytesPerItem)
    }

    /// Validates `data` as the contents of an IDX file named `path` (for fuzzing and tests).
    public init(decoding data: [UInt8], path: String, magic: UInt32, convertedBytesPerItem: Int = 0) throws(IDXError) {
        try self.init(ByteInput(bytes: data, path: path), magic: magic, convertedBytesPerItem: convertedBytesPerItem)
    }

    private init(_ input: ByteInput, magic: UInt32, convertedBytesPerItem: Int) throws(IDXError) {
        let path = input.path
        self.path = path
        var reader = input   // a class: the same file, read through `ByteReading`
        let sniff = try reader.read(upTo: 2)
        var source = try IDXSource(input: input, prefix: sniff, gzip: sniff == [0x1f, 0x8b])

        let head = try source.readExactly(4, headerSoFar: 0)
        let found = UInt32(head[0]) << 24 | UInt32(head[1]) << 16 | UInt32(head[2]) << 8 | UInt32(head[3])
        guard found == magic else { throw .badMagic(path: path, found: found, expected: magic) }
        let rank = Int(magic & 0xff)
        let sizes = try source.readExactly(4 * rank, headerSoFar: 4)
        let dimensions = (0..<rank).map { d in
            sizes[4 * d ..< 4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        let headerBytes = 4 + 4 * rank
        // 454279 × 31252369 × 649657 is exactly Int.max: the header's bytes overflow it too.
        guard let payload = MemoryBudget.product(dimensions), case (let total, false) = payload.addingReportingOverflow(headerBytes)
        else {
            throw .implausibleSize(path: path, dimensions: dimensions)
        }
        if source.isGzip {
            // deflate's ratio bounds what the file can hold; a claim beyond it is a lie.
            guard let bound = MemoryBudget.product([input.count, Self.maximumDeflateRatio]), payload <= bound else {
                throw .implausibleSize(path: path, dimensions: dimensions)
            }
        } else if total != input.count {
            if total > input.count { throw .truncated(path: path, expectedBytes: total, actualBytes: input.count) }
            throw .tooLong(path: path, expectedBytes: total)
        }
        let what = "\(path): \(dimensions.map(String.init).joined(separator: "×")) items"
        do throws(MemoryError) {
            try MemoryBudget.require(MemoryBudget.bytes([payload], elementBytes: 1 + convertedBytesPerItem, for: what), for: what)
        } catch {
            throw .tooLarge(error)
        }
        self.dimensions = dimensions
        self.bytes = try source.readPayload(payload, headerBytes: headerBytes,
                                            initialCapacity: source.isGzip ? min(payload, Self.initialGzipCapacity) : payload)
        // The data must end exactly here (and a gzip stream's trailer must check out).
        if try !source.read(upTo: 1).isEmpty {
            throw .tooLong(path: path, expectedBytes: total)
        }
    }
}
