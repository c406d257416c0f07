#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON (padded with spaces to a multiple of 8), then the tensors' bytes. The header maps each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data
/// section) and may hold `"__metadata__"`, a map of strings.
///
/// Only F32 tensors are written and read, little-endian, as PyTorch's `safetensors.torch`
/// expects. Reading is strict (see `init(decoding:path:)`): every file either loads whole or is
/// refused with a `CheckpointError` that names the file and the tensor or field.
public struct SafeTensors: Sendable {
    /// One tensor: its name, shape and values (row-major).
    public struct Tensor: Sendable, Equatable {
        /// The key in the header (`0.weight`).
        public let name: String
        /// Sizes, outermost first (`[out, in]`); `[]` for a scalar.
        public let shape: [Int]
        /// The elements, row-major; as many as the shape's product.
        public let values: [Float]

        /// A tensor; `values.count` must be the product of `shape`.
        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count,
                         "SafeTensors.Tensor: \(name) has \(values.count) values for shape \(shape)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The tensors, in the order they are written.
    public var tensors: [Tensor]
    /// `__metadata__`: free-form strings (written with sorted keys; omitted when empty).
    public var metadata: [String: String]

    /// The largest header accepted (100 MB, as the reference implementation).
    static let maximumHeaderBytes = 100_000_000

    /// The most dimensions a tensor's shape may have (thinned writes two; no model needs 64), and so the
    /// longest list a header may hold: a crafted `"shape": [1, 1, …]` of millions of ones is
    /// refused as it is read instead of being built.
    public static let maximumDimensions = 64

    /// The header length that a file's first 8 bytes give (little-endian), or nil if it has fewer.
    static func headerLength(_ prefix: some Collection<UInt8>) -> UInt64? {
        guard prefix.count >= 8 else { return nil }
        return prefix.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// Checks that a header of `bytes` bytes can be parsed within the memory there is (see
    /// `JSONParser.maximumBytesPerTextByte`).
    static func requireHeaderMemory(_ bytes: Int, path: String) throws(CheckpointError) {
        do { try MemoryBudget.require(bytes * JSONParser.maximumBytesPerTextByte, for: "parsing the \(bytes)-byte header") } catch {
            throw .tooLarge(path: path, reason: error)
        }
    }

    /// The header's JSON, parsed strictly within the memory there is and with no list longer than
    /// `maximumDimensions`.
    static func header(_ bytes: some Collection<UInt8>, path: String) throws(CheckpointError) -> JSONValue {
        try requireHeaderMemory(bytes.count, path: path)
        do { return try JSONParser.parse(bytes, maximumArrayCount: maximumDimensions) } catch {
            throw .badHeader(path: path, reason: "not valid JSON (\(error))")
        }
    }

    /// A file of `tensors` and `metadata`.
    public init(tensors: [Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name } }

    /// The file's bytes: the header written by `JSONValue` (tensors in order, metadata keys
    /// sorted), padded with spaces to a multiple of 8, then the tensors' bytes in order.
    public func encoded() -> Data {
        let prefix = Self.prefix(tensors.map { ($0.name, $0.shape) }, metadata: metadata)
        var data = Data(capacity: prefix.bytes.count + tensors.reduce(0) { $0 + $1.values.count * 4 })
        data.append(contentsOf: prefix.bytes)
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

    /// What comes before the tensors' bytes in a file of F32 tensors with these names and shapes,
    /// in order: the header's length (8 bytes, little-endian) and the header (tensors in order,
    /// metadata keys sorted, padded with spaces to a multiple of 8); and where each tensor's bytes
    /// start, counted from the end of the prefix. Lets a writer stream tensors it never holds whole.
    public static func prefix(_ entries: [(name: String, shape: [Int])], metadata: [String: String])
        -> (bytes: [UInt8], offsets: [Int])
    {
        var members: [JSONValue.Member] = []
        if !metadata.isEmpty {
            members.append(.init("__metadata__", .object(metadata.keys.sorted().map { .init($0, .string(metadata[$0]!)) })))
        }
        var offset = 0, offsets: [Int] = []
        for entry in entries {
            let bytes = entry.shape.reduce(4, *)
            offsets.append(offset)
            members.append(.init(entry.name, .object([
                .init("dtype", .string("F32")), .init("shape", .array(entry.shape.map { .integer($0) })),
                .init("data_offsets", .array([.integer(offset), .integer(offset + bytes)])),
            ])))
            offset += bytes
        }
        var header = Array(JSONValue.object(members).encoded.utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        return (bytes + header, offsets)
    }

    /// Parses and validates a file's bytes: header length within the file, strict JSON (see
    /// `JSONParser`: no duplicate keys, sizes as plain integers) whose parsing fits in memory and
    /// whose lists are no longer than `maximumDimensions`, F32 tensors whose sizes do not
    /// overflow, whose offsets lie inside the data section, match their shapes, do not overlap
    /// and cover it exactly, and whose values are all finite; the memory for the values is
    /// checked against `MemoryBudget` before it is taken.
    public init(decoding data: Data, path: String) throws(CheckpointError) {
        guard let length = Self.headerLength(data) else { throw .tooShort(path: path, bytes: data.count) }
        guard length <= UInt64(data.count - 8), length <= UInt64(Self.maximumHeaderBytes) else {
            throw .headerLength(path: path, claimed: length, available: data.count - 8)
        }
        let start = data.startIndex
        let headerEnd = 8 + Int(length)
        let header = try Self.header(data[(start + 8)..<(start + headerEnd)], path: path)
        guard case let .object(members) = header else { throw .badHeader(path: path, reason: "not a JSON object") }
        let dataBytes = data.count - headerEnd

        var metadata: [String: String] = [:]
        var spans: [(name: String, range: Range<Int>, shape: [Int])] = []
        for member in members {
            let name = member.key
            if name == "__metadata__" {
                guard case let .object(fields) = member.value else { throw .badHeader(path: path, reason: "__metadata__ is not an object") }
                for field in fields {
                    guard let text = field.value.string else { throw .badMetadata(path: path, field: field.key, reason: "not a string") }
                    metadata[field.key] = text
                }
                continue
            }
            spans.append(try Self.span(name: name, entry: member.value, dataBytes: dataBytes, path: path))
        }
        spans.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        for (left, right) in zip(spans, spans.dropFirst()) where left.range.upperBound > right.range.lowerBound {
            throw .overlap(path: path, first: left.name, second: right.name)
        }
        // As the reference implementation: the tensors tile the data section, so bytes inserted
        // into it or left after it are found.
        var covered = 0
        for span in spans {
            guard span.range.lowerBound == covered else {
                throw .badHeader(path: path, reason: "data bytes \(covered)..<\(span.range.lowerBound) belong to no tensor")
            }
            covered = span.range.upperBound
        }
        guard covered == dataBytes else {
            throw .badHeader(path: path, reason: "the tensors cover \(covered) of the \(dataBytes) data bytes")
        }
        // The values are copied out of `data`: as much memory again, which must be there.
        do { try MemoryBudget.require(dataBytes, for: "\(spans.count) tensors") } catch {
            throw .tooLarge(path: path, reason: error)
        }
        self.metadata = metadata
        self.tensors = try spans.map { span throws(CheckpointError) in
            let first = start + headerEnd + span.range.lowerBound
            var values = [Float](repeating: 0, count: span.range.count / 4)
            var bad: (Int, Float)?
            data[first..<(first + span.range.count)].withUnsafeBytes { raw in
                for i in values.indices {
                    let value = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    if !value.isFinite, bad == nil { bad = (i, value) }
                    values[i] = value
                }
            }
            if let (index, value) = bad { throw .nonFinite(path: path, name: span.name, index: index, value: value) }
            return Tensor(name: span.name, shape: span.shape, values: values)
        }
    }

    /// One header entry, `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}`, checked.
    static func span(name: String, entry: JSONValue, dataBytes: Int, path: String) throws(CheckpointError)
        -> (name: String, range: Range<Int>, shape: [Int])
    {
        guard case .object = entry else { throw .badTensor(path: path, name: name, reason: "not an object") }
        if let extra = entry.keys.first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
            throw .badTensor(path: path, name: name, reason: "unknown field '\(extra)'")
        }
        guard let dtype = entry["dtype"]?.string else { throw .badTensor(path: path, name: name, reason: "no dtype") }
        guard dtype == "F32" else { throw .badTensor(path: path, name: name, reason: "dtype \(dtype), expected F32") }
        guard let shapeValues = entry["shape"]?.array, let offsetValues = entry["data_offsets"]?.array,
              offsetValues.count == 2 else {
            throw .badTensor(path: path, name: name, reason: "shape or data_offsets missing")
        }
        let shapeText = JSONValue.array(shapeValues).encoded, offsetText = JSONValue.array(offsetValues).encoded
        let shape = shapeValues.compactMap(\.size)
        guard shape.count == shapeValues.count else {
            throw .badTensor(path: path, name: name, reason: "shape \(shapeText) is not a list of sizes (whole numbers, 0 to \(Int.max))")
        }
        let offsets = offsetValues.compactMap(\.size)
        guard offsets.count == 2, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
            throw .badTensor(path: path, name: name, reason: "data_offsets \(offsetText) outside the \(dataBytes) data bytes")
        }
        guard let bytes = MemoryBudget.product(shape + [4]) else {
            throw .badTensor(path: path, name: name, reason: "shape \(shapeText) overflows a 64-bit count of bytes")
        }
        guard bytes == offsets[1] - offsets[0] else {
            throw .badTensor(path: path, name: name, reason: "shape \(shapeText) needs \(bytes) bytes, data_offsets give \(offsets[1] - offsets[0])")
        }
        return (name, offsets[0]..<offsets[1], shape)
    }
}
