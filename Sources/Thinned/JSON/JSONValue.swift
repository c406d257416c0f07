/// A JSON value: the one JSON of the program, both ways. The safetensors headers and
/// `trainer_state.json` are written from it (`text(_:)`) and read back into it (`JSONParser`);
/// the `--metrics` lines, `scale.json` and `topology --json` are written from it too, built from
/// their `Encodable` types (`init(encoding:)`).
///
/// Numbers keep the text they were written with, so that a reader can tell `1` from `1.0`,
/// `1e2` or `18446744073709551616` and refuse what is not a size (`size`), while `Float` and
/// `Double` values still round-trip exactly (Swift prints the shortest text that reads back to
/// the same bits). Objects keep their members in order; the parser refuses duplicate keys.
public enum JSONValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its text (valid JSON number grammar).
    case number(String)
    /// A string, unescaped.
    case string(String)
    /// A list of values.
    case array([JSONValue])
    /// An object: its members in order, keys distinct.
    case object([Member])

    /// One member of an object.
    public struct Member: Equatable, Sendable {
        /// The member's name.
        public let key: String
        /// The member's value.
        public let value: JSONValue

        /// The member `key: value`.
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// An integer value.
    public static func integer<T: BinaryInteger>(_ value: T) -> JSONValue { .number("\(value)") }

    /// A finite floating-point value, in the shortest text that reads back to the same bits.
    public static func real<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> JSONValue {
        precondition(value.isFinite, "JSONValue.real: \(value) is not finite; JSON has no such number")
        return .number("\(value)")
    }

    /// The value of member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The members' keys, in order (empty for a value that is not an object).
    public var keys: [String] {
        guard case let .object(members) = self else { return [] }
        return members.map(\.key)
    }

    /// The text of a string value.
    public var string: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    /// The elements of an array value.
    public var array: [JSONValue]? {
        if case let .array(values) = self { return values }
        return nil
    }

    /// A size or count: digits only (no sign, fraction or exponent, no leading zero), at most
    /// `Int.max`.
    public var size: Int? {
        guard case let .number(text) = self, Self.isPlainDigits(text) else { return nil }
        return Int(text)
    }

    /// A whole number in `UInt64` (a seed): digits only, at most 2⁶⁴ − 1.
    public var unsigned: UInt64? {
        guard case let .number(text) = self, Self.isPlainDigits(text) else { return nil }
        return UInt64(text)
    }

    /// A finite `Float` (overflowing text is refused, not rounded to infinity).
    public var float: Float? {
        guard case let .number(text) = self, let value = Float(text), value.isFinite else { return nil }
        return value
    }

    /// A finite `Double`.
    public var double: Double? {
        guard case let .number(text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func isPlainDigits(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        return bytes.count == 1 || bytes[0] != UInt8(ascii: "0")
    }
}
