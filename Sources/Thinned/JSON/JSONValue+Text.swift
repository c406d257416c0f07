/// Writing a value as JSON text: compact for the checkpoint's files, or laid out as Foundation's
/// `JSONEncoder` lays out the CLI's reports, byte for byte.
extension JSONValue {
    /// How `text(_:)` lays a value out.
    public struct Layout: Sendable, Equatable {
        /// Every member and element on a line of its own, indented two spaces a level, members as
        /// `"key" : value`, and an empty container as its brackets around an empty line
        /// (`JSONEncoder`'s `.prettyPrinted`).
        public var indented: Bool
        /// Every object's members ordered by the UTF-8 bytes of their keys rather than as built
        /// (`JSONEncoder`'s `.sortedKeys`).
        public var sortedKeys: Bool
        /// `/` written as `\/`, as `JSONEncoder` does unless told `.withoutEscapingSlashes`.
        public var escapedSlashes: Bool

        /// A layout; the default is `compact`.
        public init(indented: Bool = false, sortedKeys: Bool = false, escapedSlashes: Bool = false) {
            self.indented = indented
            self.sortedKeys = sortedKeys
            self.escapedSlashes = escapedSlashes
        }

        /// No whitespace, members in their order, `/` as it is: the safetensors headers and
        /// `trainer_state.json`.
        public static let compact = Layout()
        /// One line, keys sorted, `/` escaped: the `--metrics` lines (`JSONEncoder` with `.sortedKeys`).
        public static let sortedLine = Layout(sortedKeys: true, escapedSlashes: true)
        /// Indented, keys sorted, `/` escaped: `scale.json` and `topology --json` (`JSONEncoder` with
        /// `[.prettyPrinted, .sortedKeys]`).
        public static let sortedIndented = Layout(indented: true, sortedKeys: true, escapedSlashes: true)
    }

    /// The value as compact JSON text (no spaces), members in their order.
    public var encoded: String { text(.compact) }

    /// The value as JSON text laid out as `layout` says.
    public func text(_ layout: Layout) -> String {
        var out = ""
        write(into: &out, layout: layout, depth: 0)
        return out
    }

    func write(into out: inout String, layout: Layout, depth: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .number(text): out += text
        case let .string(text): Self.quote(text, into: &out, escapingSlashes: layout.escapedSlashes)
        case let .array(values):
            Self.writeContainer("[", "]", values, into: &out, layout: layout, depth: depth) { value, out in
                value.write(into: &out, layout: layout, depth: depth + 1)
            }
        case let .object(members):
            let ordered = layout.sortedKeys ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            Self.writeContainer("{", "}", ordered, into: &out, layout: layout, depth: depth) { member, out in
                Self.quote(member.key, into: &out, escapingSlashes: layout.escapedSlashes)
                out += layout.indented ? " : " : ":"
                member.value.write(into: &out, layout: layout, depth: depth + 1)
            }
        }
    }

    /// `open`, the items separated by commas, `close`; indented, each item on a line of its own.
    static func writeContainer<Item>(_ open: String, _ close: String, _ items: [Item], into out: inout String, layout: Layout,
                                     depth: Int, item: (Item, inout String) -> Void) {
        out += open
        for (index, element) in items.enumerated() {
            if index > 0 { out += "," }
            if layout.indented { out += "\n" + String(repeating: "  ", count: depth + 1) }
            item(element, &out)
        }
        if layout.indented { out += (items.isEmpty ? "\n\n" : "\n") + String(repeating: "  ", count: depth) }
        out += close
    }

    /// `text` as a JSON string: quote, backslash and control characters escaped (`\n`, `\t`,
    /// `\r`, else `\u00XX`), and `/` as `\/` when `escapingSlashes`.
    static func quote(_ text: String, into out: inout String, escapingSlashes: Bool = false) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escapingSlashes: out += "\\/"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
