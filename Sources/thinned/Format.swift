#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the command writes numbers and columns: one helper for every line it prints, in place of
/// Foundation's `String(format:)`.
///
/// The digits come from the C library's `printf` conversions (`%.2f`, `%.3g`), which round the
/// exact binary value correctly (`2.675` is `2.67499…`, so `fixed(2.675, 2)` is `2.67`), as
/// `String(format:)` did; padding counts characters, and never cuts a longer text.
enum Format {
    /// `value` with `decimals` digits after the point, right-aligned in `width` columns
    /// (`printf`'s `%W.Df`): `fixed(3.14159, 2, width: 6)` is `"  3.14"`.
    static func fixed(_ value: Double, _ decimals: Int, width: Int = 0) -> String {
        printf("%*.*f", Int32(width), Int32(decimals), value)
    }

    /// `value` with `digits` significant digits, in exponent form when it is very large or small
    /// (`printf`'s `%.Ng`): `significant(1234.5, 3)` is `"1.23e+03"`.
    static func significant(_ value: Double, _ digits: Int) -> String {
        printf("%.*g", Int32(digits), value)
    }

    /// `item` right-aligned in `width` columns, filled with `pad` (`%Wd`, or `%0Wd` with "0").
    static func right(_ item: some CustomStringConvertible, _ width: Int, pad: Character = " ") -> String {
        let text = item.description
        return String(repeating: pad, count: max(0, width - text.count)) + text
    }

    /// `item` left-aligned in `width` columns (`%-Ws`).
    static func left(_ item: some CustomStringConvertible, _ width: Int) -> String {
        let text = item.description
        return text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// One `printf` conversion of `arguments` by `format`.
    private static func printf(_ format: String, _ arguments: any CVarArg...) -> String {
        let count = Int(withVaList(arguments) { vsnprintf(nil, 0, format, $0) })
        precondition(count >= 0, "Format: vsnprintf refused \(format)")
        var text = [CChar](repeating: 0, count: count + 1)
        _ = text.withUnsafeMutableBufferPointer { buffer in
            withVaList(arguments) { vsnprintf(buffer.baseAddress, buffer.count, format, $0) }
        }
        return String(decoding: text.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
