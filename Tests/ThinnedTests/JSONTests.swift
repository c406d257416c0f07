import Foundation
import Testing
@testable import Thinned

/// `JSONValue` written three ways: compact for the checkpoint, and laid out as Foundation's
/// `JSONEncoder` lays out the reports, checked byte for byte against `JSONEncoder` itself.
@Suite struct JSONTests {
    struct Inner: Encodable {
        let counts: [String: Int]
        let rows: [[Double]]
        let note: String?
    }

    /// Every shape the reports use: nested objects and arrays, empty ones, optionals, dictionaries,
    /// whole and fractional reals of both widths, extreme integers, slashes and escapes.
    struct Sample: Encodable {
        let whole: Double, tenth: Float, reals: [Double], floats: [Float]
        let names: [String?], table: [String: [String]], empty: [Int], missing: Int?
        let text: String, largest: UInt64, smallest: Int64, flag: Bool, inner: [Inner]
    }

    static let sample = Sample(
        whole: 1, tenth: 0.1, reals: [1e-7, 2.5, 100, 1e21, 0.1 + 0.2, -0.0, 1.0 / 3], floats: [1, 1e-5, .greatestFiniteMagnitude],
        names: ["usable/set", nil], table: ["spread": ["0-1", "2"], "close": [], "Z": ["é"]], empty: [], missing: nil,
        text: "quote \" backslash \\ slash / tab \t newline \n unit \u{1f} é", largest: .max, smallest: .min, flag: true,
        inner: [Inner(counts: ["b": 1, "a": -2, "B": 3, "a1": 4], rows: [[], [1.5, 2]], note: "x/y"),
                Inner(counts: [:], rows: [], note: nil)])

    static func foundation(_ value: some Encodable, _ formatting: JSONEncoder.OutputFormatting) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func reportsAreWrittenAsJSONEncoderWroteThem() throws {
        var configuration = TrainingConfiguration()
        configuration.augmentation.transforms = [.shift, .rotate, .erase]
        configuration.privacy = PrivacyConfiguration(clipNorm: 1.5, noiseMultiplier: 1.1)
        let report = Trainer.EpochReport(epoch: 3, trainLoss: 0.41234567, testAccuracy: 0.914, testLoss: 1.4636158080543744,
                                         samplesPerSecond: 12345.678, seconds: 2, medianStepSeconds: 0.0081,
                                         epsilon: 0.8427571, epsilonOrder: 14,
                                         perSample: PerSampleStatistics(normQuantiles: [0.1, 0.5, 1.25, 3, 9.5], clippedFraction: 0.4,
                                                                        noiseScale: 1234.5, samples: 6000))
        let values: [any Encodable] = [Self.sample, configuration, report, [Self.sample.inner[0]], "a/b", 7]
        for value in values {
            #expect(try JSONValue(encoding: value).text(.sortedIndented) == (try Self.foundation(value, [.prettyPrinted, .sortedKeys])))
            #expect(try JSONValue(encoding: value).text(.sortedLine) == (try Self.foundation(value, [.sortedKeys])))
        }
    }

    @Test func nonFiniteNumbersAreRefusedAsJSONEncoderRefusesThem() {
        #expect(throws: EncodingError.self) { try JSONValue(encoding: [1, Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONValue(encoding: ["loss": Float.infinity]) }
    }

    @Test func compactTextKeepsOrderSlashesAndRealsAsBuilt() {
        let value = JSONValue.object([.init("source", .string("/data/fashion-mnist")), .init("b", .real(0.0)),
                                      .init("a", .array([.integer(-1), .real(Float(0.1)), .null, .bool(false)])),
                                      .init("control", .string("\u{8}\u{c}\r"))])
        #expect(value.encoded == #"{"source":"/data/fashion-mnist","b":0.0,"a":[-1,0.1,null,false],"control":"\u0008\u000c\r"}"#)
        #expect(value.text(.sortedLine) == #"{"a":[-1,0.1,null,false],"b":0.0,"control":"\u0008\u000c\r","source":"\/data\/fashion-mnist"}"#)
    }

    @Test(arguments: [JSONValue.Layout.compact, .sortedLine, .sortedIndented])
    func everyLayoutReadsBack(layout: JSONValue.Layout) throws {
        let value = try JSONValue(encoding: Self.sample)
        let back = try JSONParser.parse(Array(value.text(layout).utf8))
        #expect(back.text(.sortedLine) == value.text(.sortedLine))
    }
}
