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

    mutating func string(_ name: String) throws(CheckpointError) -> String {
        let value = try field(name)
        guard let text = value.string else { throw failure(name, "\(value.encoded) is not a string") }
        return text
    }

    mutating func size(_ name: String) throws(CheckpointError) -> Int {
        let value = try field(name)
        guard let size = value.size else { throw failure(name, "\(value.encoded) is not a whole number in 0...\(Int.max)") }
        return size
    }

    mutating func float(_ name: String) throws(CheckpointError) -> Float {
        let value = try field(name)
        guard let number = value.float else { throw failure(name, "\(value.encoded) is not a finite 32-bit number") }
        return number
    }

    mutating func double(_ name: String) throws(CheckpointError) -> Double {
        let value = try field(name)
        guard let number = value.double else { throw failure(name, "\(value.encoded) is not a finite number") }
        return number
    }

    mutating func array(_ name: String) throws(CheckpointError) -> [JSONValue] {
        let value = try field(name)
        guard let values = value.array else { throw failure(name, "\(value.encoded) is not a list") }
        return values
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
