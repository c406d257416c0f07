import Foundation
import Testing
@testable import Thinned

/// The safetensors reader: every malformed or crafted header is refused with a named error.
@Suite struct SafeTensorsTests {
    /// Builds a file from a header written by hand and `dataBytes` bytes of data.
    static func file(header: String, dataBytes: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    static func error(_ data: Data) -> String {
        do { _ = try SafeTensors(decoding: data, path: "bad.safetensors"); return "no error" } catch { return error.description }
    }

    /// A header with one tensor "a" whose shape and offsets are `shape` and `offsets`, as text.
    static func one(shape: String, offsets: String, dataBytes: Int) -> String {
        error(file(header: #"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#, dataBytes: dataBytes))
    }

    @Test func roundTripKeepsBitsNamesAndMetadata() throws {
        let file = SafeTensors(tensors: [.init(name: "a", shape: [2, 3], values: [1, -2, 3.5, 0, .greatestFiniteMagnitude, -0.0]),
                                         .init(name: "b \"quoted\"\n\u{1}é", shape: [0], values: []),
                                         .init(name: "c", shape: [], values: [42])],
                               metadata: ["note": "line\nbreak\t\\", "x": "1"])
        let decoded = try SafeTensors(decoding: file.encoded(), path: "memory")
        #expect(decoded.metadata == file.metadata)
        for tensor in file.tensors {
            #expect(decoded[tensor.name]?.shape == tensor.shape)
            #expect(decoded[tensor.name]?.values.map(\.bitPattern) == tensor.values.map(\.bitPattern))
        }
    }

    @Test func corruptedFilesGiveClearErrors() throws {
        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        huge.append(Data(count: 64))
        #expect(Self.error(huge) == "bad.safetensors: header length 1099511627776 does not fit in the 64 bytes after it")
        #expect(Self.error(Data([1, 2, 3])) == "bad.safetensors: not a safetensors file: 3 bytes, expected at least 8")
        #expect(Self.error(Self.file(header: "{\"a\": [", dataBytes: 0))
                == "bad.safetensors: bad safetensors header: not valid JSON (unexpected end of the text at byte 7)")
        #expect(Self.error(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12))
                == "bad.safetensors: tensors 'a' and 'b' overlap")
        #expect(Self.one(shape: "[3]", offsets: "[0,8]", dataBytes: 8) == "bad.safetensors: tensor 'a': shape [3] needs 12 bytes, data_offsets give 8")
        #expect(Self.one(shape: "[4]", offsets: "[0,16]", dataBytes: 8) == "bad.safetensors: tensor 'a': data_offsets [0,16] outside the 8 data bytes")
        #expect(Self.error(Self.file(header: #"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, dataBytes: 8))
                == "bad.safetensors: tensor 'a': dtype F16, expected F32")
    }

    /// Sizes are plain integers: what JSONSerialization would have wrapped, truncated or rounded
    /// is refused.
    @Test(arguments: ["[18446744073709551616]", "[9223372036854775808]", "[2.0]", "[2e0]", "[-2]", "[\"2\"]", "[true]"])
    func shapesThatAreNotSizesAreRefused(shape: String) {
        #expect(Self.one(shape: shape, offsets: "[0,8]", dataBytes: 8)
                == "bad.safetensors: tensor 'a': shape \(shape) is not a list of sizes (whole numbers, 0 to 9223372036854775807)")
    }

    @Test(arguments: ["[0,8.0]", "[0,18446744073709551624]", "[-0,8]", "[0,8e0]", "[0]", "[0,8,8]"])
    func offsetsThatAreNotSizesAreRefused(offsets: String) {
        #expect(Self.one(shape: "[2]", offsets: offsets, dataBytes: 8).hasPrefix("bad.safetensors: tensor 'a': "))
        #expect(Self.one(shape: "[2]", offsets: offsets, dataBytes: 8).contains("data_offsets"))
    }

    /// `[2147483648, 1073741824]` floats are 2⁶³ bytes: refused, not a trap in `elements * 4`.
    @Test func shapesWhoseByteCountOverflowsAreRefused() {
        #expect(Self.one(shape: "[2147483648,1073741824]", offsets: "[0,8]", dataBytes: 8)
                == "bad.safetensors: tensor 'a': shape [2147483648,1073741824] overflows a 64-bit count of bytes")
        #expect(Self.one(shape: "[4294967296,4294967296,4294967296]", offsets: "[0,8]", dataBytes: 8)
                .contains("overflows a 64-bit count of bytes"))
    }

    /// The reviewer's header, `"shape": [1, 1, …]` with 45 M ones, built 2 GB of values before
    /// any check (and was then accepted: its product is 1). Any list longer than
    /// `maximumDimensions` is now refused where its next value starts, before it is built.
    @Test func aShapeOfMillionsOfDimensionsIsRefusedAsItIsRead() {
        let ones = Array(repeating: "1", count: 1_000_000).joined(separator: ",")
        let header = #"{"a":{"dtype":"F32","shape":[\#(ones)],"data_offsets":[0,4]}}"#
        let prefix = #"{"a":{"dtype":"F32","shape":["#.utf8.count
        #expect(Self.error(Self.file(header: header, dataBytes: 4))
                == "bad.safetensors: bad safetensors header: not valid JSON (a list of more than 64 values at byte \(prefix + 2 * 64))")
        let most = Array(repeating: "1", count: SafeTensors.maximumDimensions).joined(separator: ",")
        #expect(Self.one(shape: "[\(most)]", offsets: "[0,4]", dataBytes: 4) == "no error")
    }

    /// A header is parsed only when the values it can build fit in memory: a 1 TB header would
    /// need 40 TB, more than any machine's budget, and is refused naming the header's size.
    @Test func aHeaderIsParsedOnlyWithinTheMemoryBudget() {
        let bytes = 1_000_000_000_000
        let error = #expect(throws: CheckpointError.self) { try SafeTensors.requireHeaderMemory(bytes, path: "big") }
        guard case let .tooLarge("big", .tooLarge(what, needed, _, _))? = error else {
            Issue.record("expected tooLarge, got \(String(describing: error))")
            return
        }
        #expect(what == "parsing the \(bytes)-byte header" && needed == bytes * JSONParser.maximumBytesPerTextByte)
        #expect(throws: Never.self) { try SafeTensors.requireHeaderMemory(4096, path: "small") }
    }

    @Test func duplicateKeysAreRefused() {
        #expect(Self.error(Self.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8))
                == "bad.safetensors: bad safetensors header: not valid JSON (duplicate key \"a\" at byte 54)")
        #expect(Self.one(shape: "[02]", offsets: "[0,8]", dataBytes: 8).contains("leading zero in a number"))
        #expect(Self.one(shape: "[1],\"shape\":[2]", offsets: "[0,4]", dataBytes: 4).contains("duplicate key \"shape\""))
        #expect(Self.error(Self.file(header: #"{"__metadata__":{"k":"1","k":"2"}}"#, dataBytes: 0)).contains("duplicate key \"k\""))
    }

    @Test func headersThatAreNotObjectsOrHaveStrayPartsAreRefused() {
        #expect(Self.error(Self.file(header: "[1,2]", dataBytes: 0)) == "bad.safetensors: bad safetensors header: not a JSON object")
        #expect(Self.error(Self.file(header: "{} {}", dataBytes: 0)).contains("unexpected text after the JSON value"))
        #expect(Self.error(Self.file(header: #"{"__metadata__":[]}"#, dataBytes: 0)).contains("__metadata__ is not an object"))
        #expect(Self.error(Self.file(header: #"{"__metadata__":{"k":1}}"#, dataBytes: 0)) == "bad.safetensors: metadata 'k': not a string")
        #expect(Self.one(shape: "[1],\"extra\":0", offsets: "[0,4]", dataBytes: 4) == "bad.safetensors: tensor 'a': unknown field 'extra'")
        #expect(Self.error(Self.file(header: String(repeating: "[", count: 100_000), dataBytes: 0)).contains("nested deeper than 32"))
        #expect(Self.error(Self.file(header: "{\"a\u{1}\":1}", dataBytes: 0)).contains("a control character in a string"))
        #expect(Self.error(Self.file(header: #"{"\ud800":1}"#, dataBytes: 0)).contains("a lone surrogate"))
        var invalidUTF8 = Self.file(header: "{\"ab\":{}}", dataBytes: 0)
        invalidUTF8[11] = 0xFF
        #expect(Self.error(invalidUTF8).contains("not valid UTF-8"))
    }

    /// Bytes inserted into the data section or left after the tensors belong to no tensor.
    @Test func dataBytesOutsideEveryTensorAreRefused() {
        #expect(Self.one(shape: "[1]", offsets: "[0,4]", dataBytes: 8) == "bad.safetensors: bad safetensors header: the tensors cover 4 of the 8 data bytes")
        #expect(Self.one(shape: "[1]", offsets: "[4,8]", dataBytes: 8) == "bad.safetensors: bad safetensors header: data bytes 0..<4 belong to no tensor")
    }

    @Test func nonFiniteValuesAreRefusedNamingTheTensorAndIndex() {
        for (bits, text) in [(UInt32(0x7FC0_0000), "nan"), (0xFF80_0000, "-inf"), (0x7F80_0000, "inf")] {
            var data = Self.file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#, dataBytes: 12)
            withUnsafeBytes(of: bits.littleEndian) { data.replaceSubrange((data.count - 4)..., with: $0) }
            #expect(Self.error(data) == "bad.safetensors: tensor 'w' holds \(text) at index 2; a checkpoint holds finite values only")
        }
    }

    /// The JSON reader keeps numbers as written, so floats round-trip exactly through text.
    @Test func jsonNumbersRoundTripFloatsAndDoublesExactly() throws {
        let floats: [Float] = [0.001, 1e-8, 0.9, 0.999, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -3.25, 0]
        let doubles: [Double] = [12345.678901234567, 1e-300, .pi, 0.1 + 0.2]
        let json = JSONValue.array(floats.map { .real($0) } + doubles.map { .real($0) } + [.integer(UInt64.max)])
        let back = try #require(try JSONParser.parse(Array(json.encoded.utf8)).array)
        #expect(back.prefix(floats.count).map { $0.float?.bitPattern } == floats.map(\.bitPattern))
        #expect(back.dropFirst(floats.count).prefix(doubles.count).map { $0.double?.bitPattern } == doubles.map(\.bitPattern))
        #expect(back.last?.unsigned == UInt64.max && back.last?.size == nil)
        #expect(JSONValue.number("1e39").float == nil && JSONValue.number("1.0").size == nil && JSONValue.number("0").size == 0)
    }
}
