import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON (padded with spaces to a multiple of 8), then the tensors' bytes. The header maps each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data
/// section) and may hold `"__metadata__"`, a map of strings.
///
/// Only F32 tensors are written and read, little-endian, as PyTorch's `safetensors.torch`
/// expects.
public struct SafeTensors: Sendable {
    /// One tensor: its name, shape and values (row-major).
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count,
                         "SafeTensors.Tensor: \(name) has \(values.count) values for shape \(shape)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var tensors: [Tensor]
    public var metadata: [String: String]

    /// The largest header accepted (100 MB, as the reference implementation).
    static let maximumHeaderBytes = 100_000_000

    public init(tensors: [Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name } }

    /// The file's bytes.
    public func encoded() -> Data {
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(Self.quote($0)):\(Self.quote(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let bytes = tensor.values.count * 4
            entries.append("\(Self.quote(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for tensor in tensors {
            tensor.values.withUnsafeBufferPointer { values in
                #if _endian(little)
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(values.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                count: values.count * 4))
                #else
                for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #endif
            }
        }
        return data
    }

    /// Parses and validates a file's bytes: header length within the file, valid JSON, F32
    /// tensors whose offsets lie inside the data section, match their shapes and do not overlap.
    public init(decoding data: Data, path: String) throws(CheckpointError) {
        guard data.count >= 8 else { throw .tooShort(path: path, bytes: data.count) }
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(data.count - 8), length <= UInt64(Self.maximumHeaderBytes) else {
            throw .headerLength(path: path, claimed: length, available: data.count - 8)
        }
        let headerEnd = 8 + Int(length)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd))
        } catch {
            throw .badHeader(path: path, reason: "not valid JSON")
        }
        guard let header = object as? [String: Any] else { throw .badHeader(path: path, reason: "not a JSON object") }
        let dataBytes = data.count - headerEnd

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let fields = raw as? [String: Any] else { throw .badHeader(path: path, reason: "__metadata__ is not an object") }
            for (key, value) in fields {
                guard let text = value as? String else { throw .badMetadata(path: path, field: key, reason: "not a string") }
                metadata[key] = text
            }
        }
        var spans: [(name: String, range: Range<Int>, shape: [Int])] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let entry = raw as? [String: Any] else { throw .badTensor(path: path, name: name, reason: "not an object") }
            guard let dtype = entry["dtype"] as? String else { throw .badTensor(path: path, name: name, reason: "no dtype") }
            guard dtype == "F32" else { throw .badTensor(path: path, name: name, reason: "dtype \(dtype), expected F32") }
            guard let shapeValues = entry["shape"] as? [Any], let offsetValues = entry["data_offsets"] as? [Any],
                  offsetValues.count == 2 else {
                throw .badTensor(path: path, name: name, reason: "shape or data_offsets missing")
            }
            let shape = try shapeValues.map { value throws(CheckpointError) -> Int in
                guard let n = (value as? NSNumber)?.intValue, n >= 0, n <= Int(UInt32.max) else {
                    throw .badTensor(path: path, name: name, reason: "shape \(shapeValues) is not a list of sizes")
                }
                return n
            }
            let offsets = offsetValues.compactMap { ($0 as? NSNumber)?.intValue }
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
                throw .badTensor(path: path, name: name, reason: "data_offsets \(offsetValues) outside the \(dataBytes) data bytes")
            }
            // The byte count is overflow-checked too: [2147483648, 1073741824] has 2⁶¹ elements.
            guard let bytes = MemoryBudget.product(shape + [4]), bytes == offsets[1] - offsets[0] else {
                let needed = MemoryBudget.product(shape + [4]).map { "\($0) bytes" } ?? "more than 2⁶³ bytes"
                throw .badTensor(path: path, name: name, reason: "shape \(shape) needs \(needed), data_offsets give \(offsets[1] - offsets[0])")
            }
            spans.append((name, offsets[0]..<offsets[1], shape))
        }
        spans.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        for (left, right) in zip(spans, spans.dropFirst()) where left.range.upperBound > right.range.lowerBound {
            throw .overlap(path: path, first: left.name, second: right.name)
        }
        self.metadata = metadata
        self.tensors = spans.map { span in
            let bytes = data.subdata(in: (headerEnd + span.range.lowerBound)..<(headerEnd + span.range.upperBound))
            let values = bytes.withUnsafeBytes { raw in
                (0..<(span.range.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            return Tensor(name: span.name, shape: span.shape, values: values)
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
