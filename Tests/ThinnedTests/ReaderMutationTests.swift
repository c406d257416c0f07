import Foundation
import Testing
@testable import Thinned

/// A deterministic mutation test of both file readers: tens of thousands of damaged IDX and
/// safetensors files (bit flips, truncations, inserted and deleted bytes, lying header fields,
/// broken gzip trailers, gzip bombs, non-finite values), each of which must load or be refused
/// with a named error that names the file. A trap anywhere ends the test process, so the suite
/// passing is the proof that none traps. Seeded: the same mutants every run.
@Suite struct ReaderMutationTests {
    static let idxMutants = 12_000
    static let safeTensorsMutants = 10_000

    /// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): the mutation schedule, nothing more.
    struct Mutator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

        /// One generic byte-level damage of `bytes`, from `from` on.
        mutating func damage(_ bytes: [UInt8], from: Int = 0) -> [UInt8] {
            var out = bytes
            let start = min(from, out.count)
            switch below(5) {
            case 0:
                for _ in 0..<(1 + below(4)) where !out.isEmpty {
                    out[start + below(out.count - start)] ^= UInt8(1 << below(8))
                }
            case 1: out = Array(out.prefix(below(out.count + 1)))
            case 2:
                for _ in 0..<(1 + below(4)) { out.insert(UInt8(truncatingIfNeeded: next()), at: start + below(out.count - start + 1)) }
            case 3:
                for _ in 0..<(1 + below(4)) where out.count > start { out.remove(at: start + below(out.count - start)) }
            default: out += (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: next()) }
            }
            return out
        }
    }

    /// The name of an error's enum case, as "truncated".
    static func caseName(_ error: some Error) -> String {
        Mirror(reflecting: error).children.first?.label ?? "\(error)"
    }

    static let interestingSizes: [UInt32] = [0, 1, 2, 3, 27, 28, 29, 255, 256, 65_536, 8_200_000, 0x7fff_ffff, 0x8000_0000,
                                             0xffff_fffe, 0xffff_ffff]

    static func idx(_ magic: UInt32, _ dimensions: [UInt32], _ payload: [UInt8]) -> [UInt8] {
        ([magic] + dimensions).flatMap { value in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } } + payload
    }

    /// The IDX file `plain` with one header field (magic or a size) replaced.
    static func lie(_ plain: [UInt8], _ m: inout Mutator) -> [UInt8] {
        var out = plain
        let rank = Int(plain[3])
        if rank == 3 && m.below(40) == 0 {
            // Sizes whose product is exactly Int.max (the header's bytes then overflow it).
            return Self.idx(0x0803, [454_279, 31_252_369, 649_657], Array(plain.dropFirst(16)))
        }
        let field = m.below(rank + 1)
        let value: UInt32 = field == 0 ? m.pick([0x0801, 0x0803, 0x0802, 0x0800_0803, 0x0000_08ff, 0xffff_ffff])
                                       : m.pick(Self.interestingSizes + [UInt32(truncatingIfNeeded: m.next())])
        for k in 0..<4 { out[4 * field + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * k)) }
        return out
    }

    @Test func idxReaderLoadsOrNamesTheError() {
        let labels = Self.idx(0x0801, [40], (0..<40).map { UInt8($0 % 10) })
        let images = Self.idx(0x0803, [6, 5, 5], (0..<150).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let seeds: [(plain: [UInt8], magic: UInt32)] = [(labels, IDXFile.labelsMagic), (images, IDXFile.imagesMagic)]
        var m = Mutator(state: 20_261_127)
        var loaded = 0
        var refusals: [String: Int] = [:]
        for i in 0..<Self.idxMutants {
            let seed = seeds[i % 2]
            let gzip = (i / 2) % 2 == 1
            var mutant: [UInt8]
            switch m.below(gzip ? 6 : 3) {
            case 0: mutant = m.damage(gzip ? GzipWriter.compress(seed.plain) : seed.plain)
            case 1: mutant = Self.lie(seed.plain, &m)
                if gzip { mutant = GzipWriter.compress(mutant) }
            case 2: mutant = m.damage(Self.lie(seed.plain, &m))
                if gzip { mutant = GzipWriter.compress(mutant) }
            case 3:   // the gzip trailer: CRC-32 or ISIZE
                mutant = GzipWriter.compress(seed.plain)
                mutant[mutant.count - 1 - m.below(8)] ^= UInt8(1 << m.below(8))
            case 4:   // members: a second one, whole or cut
                let cut = m.below(seed.plain.count)
                mutant = GzipWriter.compress(Array(seed.plain.prefix(cut))) + m.damage(GzipWriter.compress(Array(seed.plain.dropFirst(cut))))
            default:  // a bomb: a lying or honest header, then zeros
                let header = Array(Self.lie(seed.plain, &m).prefix(4 + 4 * Int(seed.plain[3])))
                mutant = GzipWriter.bomb(header: header, zeros: m.pick([0, 1, 100, 4096, 200_000]))
                if m.below(2) == 0 { mutant = m.damage(mutant, from: 10) }
            }
            let path = "mutant-\(i)\(gzip ? ".gz" : "")"
            do {
                let file = try IDXFile(decoding: mutant, path: path, magic: seed.magic, convertedBytesPerItem: 4)
                #expect(file.bytes.count == MemoryBudget.product(file.dimensions), "\(path)")
                loaded += 1
            } catch {
                #expect(error.description.hasPrefix(path), "\(path): \(error)")
                refusals[Self.caseName(error), default: 0] += 1
            }
        }
        // The mutants reach every way of failing, and some survive (a flipped payload bit).
        #expect(loaded > 100, "\(loaded) loaded")
        #expect(Set(refusals.keys).isSuperset(of: ["badMagic", "truncated", "tooLong", "implausibleSize", "corruptGzip",
                                                    "trailingData"]), "\(refusals)")
    }

    static let safeTensorsSeed = SafeTensors(
        tensors: [SafeTensors.Tensor(name: "0.weight", shape: [3, 4], values: (0..<12).map { Float($0) / 7 }),
                  SafeTensors.Tensor(name: "0.bias", shape: [3], values: [0.5, -1, 2]),
                  SafeTensors.Tensor(name: "3.weight", shape: [2, 3], values: (0..<6).map { -Float($0) })],
        metadata: ["format": "pt", "layers": "4,3,2"]).encoded()

    static let interestingNumbers = ["0", "1", "-1", "-0", "3", "12", "48", "4294967295", "4294967296", "2147483648",
                                     "1073741824", "9223372036854775807", "9223372036854775808", "18446744073709551615",
                                     "18446744073709551616", "1e30", "1.5", "0.0", "1e-5", "\"3\"", "null", "[]", "[3]"]

    /// `header` as a safetensors file with `data` after it, its length field set to match.
    static func file(header: [UInt8], data: ArraySlice<UInt8>) -> [UInt8] {
        withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + data
    }

    /// The seed's header JSON, with one run of digits replaced by an interesting token.
    static func renumber(_ header: [UInt8], _ m: inout Mutator) -> [UInt8] {
        var runs: [Range<Int>] = []
        var i = 0
        while i < header.count {
            if (0x30...0x39).contains(header[i]) {
                let start = i
                while i < header.count && (0x30...0x39).contains(header[i]) { i += 1 }
                runs.append(start..<i)
            } else { i += 1 }
        }
        var out = header
        for _ in 0..<(1 + m.below(2)) {
            let run = runs[m.below(runs.count)]
            guard run.upperBound <= out.count else { continue }
            out.replaceSubrange(run, with: Array(m.pick(Self.interestingNumbers).utf8))
        }
        return out
    }

    @Test func safeTensorsReaderLoadsOrNamesTheError() {
        let seed = Array(Self.safeTensorsSeed)
        let headerLength = Int(seed.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = Array(seed[8..<(8 + headerLength)]), data = seed[(8 + headerLength)...]
        var m = Mutator(state: 5_402_116)
        var loaded = 0
        var refusals: [String: Int] = [:]
        for i in 0..<Self.safeTensorsMutants {
            var mutant: [UInt8]
            switch m.below(7) {
            case 0: mutant = m.damage(Array(seed))
            case 1:   // the header length field
                mutant = Array(seed)
                let claimed: UInt64 = m.pick([0, 1, 7, UInt64(headerLength - 1), UInt64(headerLength + 1), UInt64(seed.count - 8),
                                              UInt64(seed.count - 7), 100_000_001, UInt64(Int.max), 1 << 63, UInt64.max, m.next()])
                withUnsafeBytes(of: claimed.littleEndian) { for k in 0..<8 { mutant[k] = $0[k] } }
            case 2, 3: mutant = Self.file(header: Self.renumber(header, &m), data: data)
            case 4:   // the JSON text, damaged and its length kept consistent
                mutant = Self.file(header: m.damage(header), data: data)
            case 5:   // structure: a duplicate key, another dtype, a shape with a huge product
                let text = String(decoding: header, as: UTF8.self)
                let edited = m.pick([
                    text.replacingOccurrences(of: "{\"__metadata__\"", with: "{\"0.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},\"__metadata__\""),
                    text.replacingOccurrences(of: "\"F32\"", with: m.pick(["\"F16\"", "\"BF16\"", "\"I64\"", "\"F64\"", "\"\"", "3"])),
                    text.replacingOccurrences(of: "[3,4]", with: m.pick(["[2147483648,1073741824]", "[4294967295,4294967295,4]",
                                                                          "[1,1,1,1,1,1,1,1,1,1,1,1,12]", "[]", "[12]", "[0,4]"])),
                    text.replacingOccurrences(of: "\"__metadata__\":{", with: "\"__metadata__\":{\"layers\":\"784,100000000,10\","),
                ])
                mutant = Self.file(header: Array(edited.utf8), data: data)
            default:  // non-finite and extreme values in the data section
                mutant = Array(seed)
                let float = m.below(data.count / 4)
                let bits: UInt32 = m.pick([0x7fc0_0000, 0x7f80_0000, 0xff80_0000, 0xffff_ffff, 0x7f7f_ffff, 0x0000_0001])
                withUnsafeBytes(of: bits.littleEndian) { for k in 0..<4 { mutant[8 + headerLength + 4 * float + k] = $0[k] } }
            }
            let path = "mutant-\(i).safetensors"
            do {
                let file = try SafeTensors(decoding: Data(mutant), path: path)
                #expect(file.tensors.allSatisfy { MemoryBudget.product($0.shape) == $0.values.count }, "\(path)")
                loaded += 1
            } catch {
                #expect(error.description.hasPrefix(path), "\(path): \(error)")
                refusals[Self.caseName(error), default: 0] += 1
            }
        }
        #expect(loaded > 100, "\(loaded) loaded")
        #expect(Set(refusals.keys).isSuperset(of: ["tooShort", "headerLength", "badHeader", "badTensor"]), "\(refusals)")
    }
}
