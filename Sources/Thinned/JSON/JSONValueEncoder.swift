extension JSONValue {
    /// `value` as JSON, as `JSONEncoder` sees it: integers and strings as they print, a `Float` or
    /// `Double` in its shortest round-tripping text without a trailing `.0` (`1`, `0.1`, `1e-07`),
    /// `nil` members left out and `nil` elements `null`, a value that encodes nothing `{}`, and
    /// object members in the order they were encoded (`text(_:)` can sort them).
    ///
    /// Throws `EncodingError.invalidValue` for a NaN or an infinity, which JSON cannot hold.
    public init(encoding value: some Encodable) throws {
        self = try JSONValueEncoder.value(of: value, at: [])
    }
}

/// The `Encoder` behind `JSONValue(encoding:)`. Every container writes into a `Slot` it shares
/// with the encoder that made it, so nested containers may be filled in any order.
final class JSONValueEncoder: Encoder {
    /// A place for one value, filled by a container.
    final class Slot {
        enum Content {
            case empty
            case value(JSONValue)
            case object([(key: String, slot: Slot)])
            case array([Slot])
        }

        var content = Content.empty

        /// What the slot holds; `{}` when nothing was encoded into it, as `JSONEncoder` writes.
        var value: JSONValue {
            switch content {
            case .empty: .object([])
            case let .value(value): value
            case let .object(members): .object(members.map { .init($0.key, $0.slot.value) })
            case let .array(slots): .array(slots.map(\.value))
            }
        }

        /// The slot of member `key`: the one there already (a key encoded twice keeps its place and
        /// takes the later value, as in `JSONEncoder`), or a new one after the others.
        func member(_ key: String) -> Slot {
            var members: [(key: String, slot: Slot)] = []
            if case let .object(existing) = content { members = existing }
            if let found = members.first(where: { $0.key == key }) { return found.slot }
            let slot = Slot()
            content = .object(members + [(key, slot)])
            return slot
        }

        /// A new slot after the elements there, and its index.
        func element() -> (slot: Slot, index: Int) {
            var slots: [Slot] = []
            if case let .array(existing) = content { slots = existing }
            let slot = Slot()
            content = .array(slots + [slot])
            return (slot, slots.count)
        }
    }

    /// A coding key that is only a name or a position (`super`, an array index).
    struct PlainKey: CodingKey {
        let stringValue: String
        let intValue: Int?
        init(stringValue: String) { (self.stringValue, intValue) = (stringValue, nil) }
        init(intValue: Int) { (stringValue, self.intValue) = ("Index \(intValue)", intValue) }
    }

    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(slot: Slot, codingPath: [any CodingKey]) {
        self.slot = slot
        self.codingPath = codingPath
    }

    /// The JSON of `value` at `path`: booleans, strings and numbers directly, anything else
    /// through its `encode(to:)`.
    static func value(of value: some Encodable, at path: [any CodingKey]) throws -> JSONValue {
        switch value {
        case let flag as Bool: return .bool(flag)
        case let text as String: return .string(text)
        case let number as Double: return try real(number, at: path)
        case let number as Float: return try real(number, at: path)
        case let number as Int: return .integer(number)
        case let number as Int8: return .integer(number)
        case let number as Int16: return .integer(number)
        case let number as Int32: return .integer(number)
        case let number as Int64: return .integer(number)
        case let number as UInt: return .integer(number)
        case let number as UInt8: return .integer(number)
        case let number as UInt16: return .integer(number)
        case let number as UInt32: return .integer(number)
        case let number as UInt64: return .integer(number)
        default:
            let slot = Slot()
            try value.encode(to: JSONValueEncoder(slot: slot, codingPath: path))
            return slot.value
        }
    }

    /// A finite number as `JSONEncoder` writes it: the shortest text that reads back to the same
    /// bits, without the `.0` of a whole number.
    static func real<T: BinaryFloatingPoint & LosslessStringConvertible>(_ number: T, at path: [any CodingKey]) throws -> JSONValue {
        guard number.isFinite else {
            throw EncodingError.invalidValue(number, .init(codingPath: path, debugDescription: "Unable to encode \(T.self).\(number) directly in JSON."))
        }
        let text = "\(number)"
        return .number(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }

    func container<K: CodingKey>(keyedBy type: K.Type) -> KeyedEncodingContainer<K> {
        if case .object = slot.content {} else { slot.content = .object([]) }
        return KeyedEncodingContainer(Members<K>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = slot.content {} else { slot.content = .array([]) }
        return Elements(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(slot: slot, codingPath: codingPath) }
}
