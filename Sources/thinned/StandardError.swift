#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard error, written with `write(2)`: a full or closed stream loses the text but never
/// stops the program (`FileHandle.write` traps on any error, so a full disk or `2>/dev/full`
/// would end a training run without its checkpoint).
enum StandardError {
    /// Writes `text` as it is, retrying short writes; errors are ignored.
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = OutputFile.write(UnsafeRawBufferPointer($0), to: STDERR_FILENO) }
    }

    /// "warning: `message`" on a line of its own (from rank 0 alone, in an MPI job).
    static func warn(_ message: String) {
        if Launch.rank == 0 { write("warning: \(message)\n") }
    }
}
