import CZlib
import Foundation

/// One IDX file (LeCun's MNIST format), gzipped or not: a big-endian magic `00 00 08 <ndims>`,
/// `ndims` big-endian 32-bit sizes, then the unsigned bytes.
///
/// Every size is checked against the file before anything is allocated: a raw file must be
/// exactly as long as its header says; a gzip file's trailer (ISIZE, the uncompressed length
/// mod 2³²) must agree, and no claim may exceed what deflate can expand the file to.
public struct IDXFile: Sendable {
    public let path: String
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Magic of a file of unsigned bytes with one dimension (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Magic of a file of unsigned bytes with three dimensions (images).
    public static let imagesMagic: UInt32 = 0x0000_0803

    /// deflate cannot expand data by more than about 1032:1.
    static let maximumDeflateRatio = 1032

    /// Reads and validates the file at `path`, which must carry `magic`.
    public init(path: String, magic: UInt32) throws(IDXError) {
        self.path = path
        let fileBytes: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            fileBytes = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw .unreadable(path: path, reason: "no such file or not readable")
        }
        guard let file = gzopen(path, "rb") else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        let isRaw = gzdirect(file) != 0
        let gzipSize = isRaw ? nil : Self.gzipTrailerSize(path: path, fileBytes: fileBytes)

        let head = try Self.read(file, count: 4, path: path)
        let found = UInt32(head[0]) << 24 | UInt32(head[1]) << 16 | UInt32(head[2]) << 8 | UInt32(head[3])
        guard found == magic else { throw .badMagic(path: path, found: found, expected: magic) }
        let rank = Int(magic & 0xff)
        let sizes = try Self.read(file, count: 4 * rank, path: path, headerSoFar: 4)
        let dimensions = (0..<rank).map { d in
            sizes[4 * d ..< 4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        let headerBytes = 4 + 4 * rank
        let (payload, overflow) = dimensions.reduce((1, false)) { acc, size in
            let (product, o) = acc.0.multipliedReportingOverflow(by: size)
            return (product, acc.1 || o)
        }
        // A raw file's exact length is checked below; a gzip file's can only be bounded.
        guard !overflow, isRaw || payload <= fileBytes * Self.maximumDeflateRatio else {
            throw .implausibleSize(path: path, dimensions: dimensions)
        }
        if isRaw {
            guard headerBytes + payload == fileBytes else {
                if headerBytes + payload > fileBytes {
                    throw .truncated(path: path, expectedBytes: headerBytes + payload, actualBytes: fileBytes)
                }
                throw .tooLong(path: path, expectedBytes: headerBytes + payload)
            }
        } else if let gzipSize, UInt32(truncatingIfNeeded: headerBytes + payload) != gzipSize,
                  Int(gzipSize) < headerBytes + payload {
            throw .truncated(path: path, expectedBytes: headerBytes + payload, actualBytes: Int(gzipSize))
        }
        self.dimensions = dimensions
        self.bytes = try Self.read(file, count: payload, path: path, headerSoFar: headerBytes)
        var extra: UInt8 = 0
        if gzread(file, &extra, 1) > 0 { throw .tooLong(path: path, expectedBytes: headerBytes + payload) }
    }

    /// Reads exactly `count` bytes, or says how many there were.
    private static func read(_ file: gzFile, count: Int, path: String, headerSoFar: Int = 0) throws(IDXError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let chunk = UInt32(min(count - done, 1 << 30))
            let got = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + done, chunk) }
            if got < 0 {
                var code: Int32 = 0
                throw .unreadable(path: path, reason: "corrupt gzip data (" + String(cString: gzerror(file, &code)) + ")")
            }
            if got == 0 { throw .truncated(path: path, expectedBytes: headerSoFar + count, actualBytes: headerSoFar + done) }
            done += Int(got)
        }
        return buffer
    }

    /// The uncompressed length mod 2³² from a gzip file's last four bytes (little-endian).
    private static func gzipTrailerSize(path: String, fileBytes: Int) -> UInt32? {
        guard fileBytes >= 18, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(fileBytes - 4))) != nil,
              let tail = try? handle.read(upToCount: 4), tail.count == 4 else { return nil }
        return tail.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
}
