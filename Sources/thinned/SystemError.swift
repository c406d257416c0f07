#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A C library call that failed: its `errno`, told in the system's words ("No space left on
/// device"), as a message quotes it.
struct SystemError: Error, CustomStringConvertible {
    /// The `errno` value.
    let number: Int32

    /// The error the last failed call left in `errno`.
    init(number: Int32 = errno) { self.number = number }

    /// `strerror`'s text.
    var description: String { String(cString: strerror(number)) }
}
