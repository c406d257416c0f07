#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a file, or of a buffer already in memory, read front to back in chunks: what the
/// IDX reader and its gzip decoder consume, so that the fuzz targets and the mutation tests run
/// the very code that reads files.
final class ByteInput {
    /// The total number of bytes (the file's size when it was opened).
    let count: Int
    /// Bytes handed out so far.
    private(set) var offset = 0
    private let descriptor: Int32
    private let memory: [UInt8]
    let path: String

    /// Opens the file at `path` for reading.
    init(path: String) throws(IDXError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: Path.errorText()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = Path.errorText()
            close(fd)
            throw .unreadable(path: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .unreadable(path: path, reason: "not a regular file")
        }
        self.path = path
        self.descriptor = fd
        self.count = Int(info.st_size)
        self.memory = []
    }

    /// Reads `bytes`, as if they were the contents of a file named `path`.
    init(bytes: [UInt8], path: String) {
        self.path = path
        self.descriptor = -1
        self.count = bytes.count
        self.memory = bytes
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Fills the front of `buffer` with the next bytes and returns how many: 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(IDXError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if descriptor < 0 {
            let n = min(buffer.count, memory.count - offset)
            memory.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: n)
            }
            offset += n
            return n
        }
        while true {
            let got = readFile(descriptor, buffer.baseAddress!, buffer.count)
            if got >= 0 {
                offset += got
                return got
            }
            if errno != EINTR { throw .unreadable(path: path, reason: Path.errorText()) }
        }
    }
}

extension ByteInput: ByteReading {}

/// `read(2)`, by a name that `ByteInput.read(into:)` does not hide.
private func readFile(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
