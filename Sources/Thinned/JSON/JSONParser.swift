/// A strict JSON reader (RFC 8259) for the checkpoint's headers and trainer state.
///
/// Hand-written rather than `JSONSerialization` because a checkpoint reader must see what that
/// one hides: it keeps the last of duplicate keys (a crafted header could then name a tensor
/// twice), and it turns `1.0`, `1e0` and `18446744073709551616` into the same kind of number,
/// so a fraction or an out-of-range integer in `shape` or `data_offsets` would be truncated or
/// wrapped instead of refused. The grammar is small: this parser keeps numbers as their text
/// (`JSONValue.number`), refuses duplicate keys, control characters in strings, invalid UTF-8,
/// lone surrogates and anything after the value but whitespace, and limits nesting depth so that
/// a crafted `[[[[…` cannot exhaust the stack.
///
/// - Complexity: O(n) in the bytes read (duplicate keys are found with a set per object).
public struct JSONParser {
    /// Why the text is not JSON, with the byte offset where the parser stopped.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// The byte offset, from the start of the text, where reading stopped.
        public let offset: Int
        /// What was wrong there.
        public let reason: String
        /// "duplicate key "a" at byte 54".
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Deeper nesting than any checkpoint file needs (they nest three levels).
    public static let maximumDepth = 32

    /// An upper bound on the memory the values built take, per byte of text: `[1,1,1,…]` is the
    /// worst (a 90 MB one built 2 GB, about 22 per byte: each 2-byte element is a value of 24
    /// bytes in an array that grows by doubling); 40 leaves room for the copy made as it grows. A caller checks
    /// `bytes × maximumBytesPerTextByte` against `MemoryBudget` before parsing untrusted text.
    public static let maximumBytesPerTextByte = 40

    private let bytes: [UInt8]
    private let maximumArrayCount: Int
    private var index = 0

    /// Parses `bytes` as one JSON value, optionally surrounded by whitespace; a list of more than
    /// `maximumArrayCount` values is refused where its next value starts, before it is built.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, maximumArrayCount: Int = .max) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: Array(bytes), maximumArrayCount: maximumArrayCount)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8], maximumArrayCount: Int) {
        self.bytes = bytes
        self.maximumArrayCount = maximumArrayCount
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard current == byte else { throw failure("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw failure("expected a JSON value")
        }
        index += expected.count
        return value
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            return .number(try number())
        case nil: throw failure("unexpected end of the text")
        default: throw failure("expected a JSON value")
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var members: [JSONValue.Member] = []
        var seen: Set<String> = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object([]) }
        while true {
            skipWhitespace()
            let start = index
            guard current == UInt8(ascii: "\"") else { throw failure("expected a quoted key") }
            let key = try string()
            guard seen.insert(key).inserted else { throw Failure(offset: start, reason: "duplicate key \"\(key)\"") }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            members.append(.init(key, try value(depth: depth + 1)))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array([]) }
        while true {
            skipWhitespace()
            guard values.count < maximumArrayCount else { throw failure("a list of more than \(maximumArrayCount) values") }
            values.append(try value(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"))
            return .array(values)
        }
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as its text.
    private mutating func number() throws(Failure) -> String {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        let leading = index
        guard digits() > 0 else { throw failure("expected a digit") }
        if bytes[leading] == UInt8(ascii: "0"), index - leading > 1 { throw Failure(offset: leading, reason: "leading zero in a number") }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("expected a digit after the decimal point") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("unexpected end of a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("bad hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw failure("a string that is not valid UTF-8") }
                return text
            case 0..<0x20: index -= 1; throw failure("a control character in a string")
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw failure("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw failure("a lone surrogate in a \\u escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("a lone surrogate in a \\u escape") }
                    utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw failure("unknown escape \\\(Character(Unicode.Scalar(escape)))")
                }
            default: utf8.append(byte)
            }
        }
    }
}
