#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file the command writes (`--metrics`, `--predictions`, `--preview`, the reports of `--out`),
/// through the C library: a full disk or a closed file throws, told in the system's words, where
/// `FileHandle.write` would trap.
final class OutputFile {
    let path: String
    private let descriptor: Int32

    /// Opens `path` for writing, created if missing: emptied first, or `appending` to what is there.
    init(path: String, appending: Bool = false) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (appending ? O_APPEND : O_TRUNC), 0o666)
        guard fd >= 0 else { throw SystemError() }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(SystemError) {
        if let failure = bytes.withUnsafeBytes({ Self.write($0, to: descriptor) }) { throw failure }
    }

    /// Writes all of `bytes` at byte `offset` of the file (`pwrite`), leaving the file position
    /// alone: for a writer that fills a file's parts out of order.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { throw written < 0 ? SystemError() : SystemError(number: ENOSPC) }
            done += written
        }
    }

    /// Writes `bytes` as the whole file `path`.
    static func write(_ bytes: [UInt8], to path: String) throws(SystemError) {
        try OutputFile(path: path).write(bytes)
    }

    /// Writes all of `bytes` to `descriptor`, retrying short and interrupted writes; nil when done.
    static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> SystemError? {
        var done = 0
        while done < bytes.count {
            let written = writeBytes(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 && errno == EINTR { continue }
            // Nothing written and no error would loop for ever: a full device says ENOSPC.
            if written <= 0 { return written < 0 ? SystemError() : SystemError(number: ENOSPC) }
            done += written
        }
        return nil
    }
}

/// `write(2)`, by a name that `OutputFile.write` does not hide.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
