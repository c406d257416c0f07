/// Reads the fields of one JSON object, each once, and finally refuses any it did not read.
struct FieldReader {
    let json: JSONValue
    let path: String
    /// Where the object sits in the file, as an error names it ("configuration.").
    let prefix: String
    private(set) var read: Set<String> = []

    init(json: JSONValue, path: String, prefix: String) {
        self.json = json
        self.path = path
        self.prefix = prefix
    }

    func failure(_ name: String, _ reason: String) -> CheckpointError { .badMetadata(path: path, field: prefix + name, reason: reason) }

    mutating func field(_ name: String) throws(CheckpointError) -> JSONValue {
        guard case .object = json else { throw .badMetadata(path: path, field: String(prefix.dropLast()), reason: "not a JSON object") }
        guard let value = json[name] else { throw failure(name, "missing") }
        read.insert(name)
        return value
    }

    /// Field `name`, or nil where the object has none (a field that later versions added).
    mutating func fieldIfPresent(_ name: String) throws(CheckpointError) -> JSONValue? {
        guard case .object = json else { throw .badMetadata(path: path, field: String(prefix.dropLast()), reason: "not a JSON object") }
        guard json[name] != nil else { return nil }
        return try field(name)
    }

    /// Field `name` as `read` sees it, or an error saying the value is not `expected`.
    private mutating func typed<T>(_ name: String, _ read: (JSONValue) -> T?, expected: String) throws(CheckpointError) -> T {
        let value = try field(name)
        guard let result = read(value) else { throw failure(name, "\(value.encoded) is not \(expected)") }
        return result
    }

    mutating func string(_ name: String) throws(CheckpointError) -> String {
        try typed(name, \.string, expected: "a string")
    }

    mutating func size(_ name: String) throws(CheckpointError) -> Int {
        try typed(name, \.size, expected: "a whole number in 0...\(Int.max)")
    }

    mutating func float(_ name: String) throws(CheckpointError) -> Float {
        try typed(name, \.float, expected: "a finite 32-bit number")
    }

    mutating func double(_ name: String) throws(CheckpointError) -> Double {
        try typed(name, \.double, expected: "a finite number")
    }

    mutating func array(_ name: String) throws(CheckpointError) -> [JSONValue] {
        try typed(name, \.array, expected: "a list")
    }

    mutating func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(CheckpointError) -> T where T.RawValue == String {
        let text = try string(name)
        guard let value = T(rawValue: text) else { throw failure(name, "unknown value '\(text)'") }
        return value
    }

    /// Refuses a field nobody asked for: a misspelt or foreign key is an error, not ignored.
    func finish() throws(CheckpointError) {
        if let extra = json.keys.first(where: { !read.contains($0) }) { throw failure(extra, "unexpected field") }
    }
}
