import CKernels
import Foundation
import Testing
@testable import Thinned

/// The Gaussian noise kernel: its two code paths against each other, every normal against the
/// Box–Muller formula evaluated in Double from the same Philox words, and the sample's moments.
@Suite struct PhiloxNormalsTests {
    static let key: (UInt32, UInt32) = (0x1234_5678, 0x9ABC_DEF0)

    typealias Path = @Sendable (UInt32, UInt32, Int, UInt32, UInt32, UInt32, Int32, Int32, Int, Float, UnsafeMutablePointer<Float>) -> Void

    /// Normals `first ..< first + count` of the streams (·, 7, 8, 9 + r) for rows r < `rows`, rows
    /// `count + 3` floats apart, by `path`.
    static func normals(first: Int, count: Int, rows: Int = 1, path: Path) -> [Float] {
        let stride = rows == 1 ? count : count + 3
        var out = [Float](repeating: 0, count: stride * rows)
        out.withUnsafeMutableBufferPointer { path(key.0, key.1, first, 7, 8, 9, Int32(rows), Int32(count), stride, 1, $0.baseAddress!) }
        return out
    }
    static let portable: Path = { thinned_philox_normals_add_portable($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
    static let wide: Path = { _ = thinned_philox_normals_add_avx512($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
    static let dispatched: Path = { thinned_philox_normals_add($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }

    @Test(.enabled(if: thinned_cpu_has_avx512f() == 1, "this CPU has no AVX-512 path to compare"),
          arguments: [1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 127, 200, 1000], [0, 1, 6, 20])
    func pathsGiveTheSameBits(count: Int, first: Int) throws {
        for rows in [1, 3, 6] {
            let portable = Self.normals(first: first, count: count, rows: rows, path: Self.portable)
            let wide = Self.normals(first: first, count: count, rows: rows, path: Self.wide)
            #expect(portable.map(\.bitPattern) == wide.map(\.bitPattern), "rows \(rows)")
            // Row r is the stream of word 3 = 9 + r, from normal `first`; the gaps stay untouched.
            let stride = rows == 1 ? count : count + 3
            let oneRow = Self.normals(first: first, count: count, path: Self.portable)
            #expect(Array(portable[0..<count]).map(\.bitPattern) == oneRow.map(\.bitPattern))
            for r in 0..<rows { #expect(portable[(r * stride + count)..<((r + 1) * stride)].allSatisfy { $0 == 0 }) }
        }
        // Normals from `first` are the tail of those from 0.
        let fromZero = Self.normals(first: 0, count: first + count, path: Self.dispatched)
        #expect(Array(fromZero[first...]).map(\.bitPattern) == Self.normals(first: first, count: count, path: Self.dispatched).map(\.bitPattern))
    }

    /// out = fma(scale, n, out), one rounding (Swift's `addingProduct` is IEEE fusedMultiplyAdd).
    @Test func addingAccumulatesIntoTheRow() {
        var out = [Float](repeating: 0.25, count: 100)
        out.withUnsafeMutableBufferPointer {
            thinned_philox_normals_add(Self.key.0, Self.key.1, 3, 7, 8, 9, 1, 100, 100, 0.5, $0.baseAddress!)
        }
        let normals = Self.normals(first: 3, count: 100, path: Self.dispatched)
        for j in 0..<100 { #expect(out[j] == Float(0.25).addingProduct(0.5, normals[j]), "normal \(j)") }
    }

    /// Box–Muller in Double from the words Swift's own Philox draws: agreement to single-precision
    /// rounding of a few operations checks the polynomials, the range reductions and the layout
    /// (normal 64W + 16v + i from block 16W + i: its words (a, b) for v = 0, 1, (c, d) for v = 2,
    /// 3; the cosine for even v, the sine for odd).
    @Test func everyNormalIsBoxMullerOfItsBlock() {
        let windows = 1024
        let z = Self.normals(first: 0, count: 64 * windows, path: Self.dispatched)
        let generator = Philox(key: Self.key)
        var worst = 0.0
        for w in 0..<windows {
            for i in 0..<16 {
                let words = generator.block((UInt32(16 * w + i), 7, 8, 9))
                for (pair, (a, b)) in [(words.0, words.1), (words.2, words.3)].enumerated() {
                    let u1 = Double((a >> 8) + 1) * 0x1p-24, u2 = Double(b >> 8) * 0x1p-24
                    let r = (-2 * log(u1)).squareRoot()
                    let expected = [r * cos(2 * .pi * u2), r * sin(2 * .pi * u2)]
                    for k in 0..<2 {
                        let error = abs(Double(z[64 * w + 16 * (2 * pair + k) + i]) - expected[k])
                        worst = max(worst, error / max(1, abs(expected[k])))
                    }
                }
            }
        }
        // A handful of single-precision roundings (≈ 6e-8 each) through ln, √ and the polynomials.
        #expect(worst < 2e-6, "largest relative error \(worst)")
    }

    /// The smallest u₁, which a test of the stream all but never draws (u₁ ≤ 2⁻⁸ once in 256
    /// pairs, ≤ 2⁻¹⁵ once in 32 768): every u₁ = v·2⁻²⁴ for v in 1 … 2¹⁶, each with its own u₂
    /// spread over every sector of the cos/sin table, against Box–Muller in Double, by both paths,
    /// which must agree bit for bit.
    @Test func theTransformHoldsAtTheSmallestU1() {
        let count = 1 << 16
        // v − 1 in the top 24 bits of a; its low 8 bits, which the transform drops, set anyhow.
        let a = (0..<count).map { UInt32($0) << 8 | UInt32($0 & 0xFF) }
        let b = (0..<count).map { UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) }
        var portableC = [Float](repeating: 0, count: count), portableS = portableC
        thinned_box_muller_portable(a, b, count, &portableC, &portableS)
        var worst = 0.0, sectors = Set<UInt32>()
        for i in 0..<count {
            let u1 = Double((a[i] >> 8) + 1) * 0x1p-24, u2 = Double(b[i] >> 8) * 0x1p-24
            sectors.insert(((b[i] >> 8) + (1 << 18)) >> 19 & 31)
            let r = (-2 * log(u1)).squareRoot()
            for (got, expected) in [(portableC[i], r * cos(2 * .pi * u2)), (portableS[i], r * sin(2 * .pi * u2))] {
                worst = max(worst, abs(Double(got) - expected) / max(1, abs(expected)))
            }
        }
        #expect(sectors.count == 32, "u₂ reached \(sectors.count) of the 32 sectors")
        #expect(worst < 2e-6, "largest relative error \(worst)")
        var wideC = [Float](repeating: .nan, count: count), wideS = wideC
        if thinned_box_muller_avx512(a, b, count, &wideC, &wideS) != 0 {
            let differ = (0..<count).filter {
                wideC[$0].bitPattern != portableC[$0].bitPattern || wideS[$0].bitPattern != portableS[$0].bitPattern
            }
            #expect(differ.isEmpty, "the paths differ at \(differ.count) pairs, first v = \(differ.first.map { $0 + 1 } ?? 0)")
        }
    }

    /// The transform's tables, recomputed in Double: each entry the float nearest to its formula
    /// (1/c the float nearest the reciprocal of its interval's middle, but 1 for the interval
    /// holding 1; ln c from that float 1/c; cos and sin of 2πj/32, with 0 where they vanish).
    @Test func tablesAreTheirFormulasRounded() {
        func nearest(_ x: Double) -> Float { abs(x) < 1e-12 ? 0 : Float(x) }
        let offset: UInt32 = 0x3F33_0000
        func tableFloats(_ table: UnsafePointer<Float>, _ count: Int) -> [Float] { Array(UnsafeBufferPointer(start: table, count: count)) }
        let inverses = withUnsafePointer(to: thinned_noise_inverse_centres) { $0.withMemoryRebound(to: Float.self, capacity: 16) { tableFloats($0, 16) } }
        let logs = withUnsafePointer(to: thinned_noise_log_centres) { $0.withMemoryRebound(to: Float.self, capacity: 16) { tableFloats($0, 16) } }
        let cosines = withUnsafePointer(to: thinned_noise_cosines) { $0.withMemoryRebound(to: Float.self, capacity: 32) { tableFloats($0, 32) } }
        let sines = withUnsafePointer(to: thinned_noise_sines) { $0.withMemoryRebound(to: Float.self, capacity: 32) { tableFloats($0, 32) } }
        for i in 0..<16 {
            let low = Double(Float(bitPattern: offset + UInt32(i) << 19)), high = Double(Float(bitPattern: offset + UInt32(i + 1) << 19))
            let inverse: Float = low <= 1 && 1 < high ? 1 : Float(2 / (low + high))
            #expect(inverses[i] == inverse, "1/c of interval \(i)")
            #expect(logs[i] == Float(-log(Double(inverse))), "ln c of interval \(i)")
        }
        for j in 0..<32 {
            #expect(cosines[j] == nearest(cos(2 * .pi * Double(j) / 32)), "cos of \(j)")
            #expect(sines[j] == nearest(sin(2 * .pi * Double(j) / 32)), "sin of \(j)")
        }
    }

    @Test func momentsAreThoseOfTheStandardNormal() {
        let count = 1 << 20
        let z = Self.normals(first: 4000, count: count, path: Self.dispatched)
        let n = Double(count)
        let mean = z.reduce(0.0) { $0 + Double($1) } / n
        let variance = z.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let fourth = z.reduce(0.0) { $0 + pow(Double($1) - mean, 4) } / n
        let tails = Double(z.filter { abs($0) > 1.959964 }.count) / n
        // Five standard errors: mean 1/√n, variance √(2/n), fourth moment √(96/n), tail √(0.05·0.95/n).
        #expect(abs(mean) < 5 / n.squareRoot())
        #expect(abs(variance - 1) < 5 * (2 / n).squareRoot())
        #expect(abs(fourth - 3) < 5 * (96 / n).squareRoot())
        #expect(abs(tails - 0.05) < 5 * (0.05 * 0.95 / n).squareRoot())
        // u₁ ≥ 2⁻²⁴ bounds every normal by √(−2 ln 2⁻²⁴).
        #expect(z.allSatisfy { abs($0) <= 5.7686 })
    }

    /// The literal path adds the noise of parameter chunks that start anywhere in a row; the
    /// fused path adds it row by row from each tile's first column. Both must give each
    /// coordinate the same normal.
    @Test func chunksAndRowsDrawTheSameNormals() {
        let layout = ParameterLayout(widths: [13, 6, 3])
        let noise = GaussianNoise(generator: Philox(seed: 4), step: 12)
        var byChunks = [Float](repeating: 0, count: layout.count), byRows = byChunks
        byChunks.withUnsafeMutableBufferPointer { out in
            for start in stride(from: 0, to: layout.count, by: 7) {
                noise.add(start..<min(start + 7, layout.count), of: layout, scale: 1, into: out.baseAddress!)
            }
        }
        byRows.withUnsafeMutableBufferPointer { out in
            for (l, layer) in layout.layers.enumerated() {
                noise.addWeights(layer: l, rows: 0..<layer.outputs, columns: 0..<layer.inputs, scale: 1,
                                 into: out.baseAddress! + layer.weights.lowerBound, stride: layer.inputs)
                noise.addBiases(layer: l, outputs: 0..<layer.outputs, scale: 1, into: out.baseAddress! + layer.bias.lowerBound)
            }
        }
        #expect(byChunks.map(\.bitPattern) == byRows.map(\.bitPattern))
        #expect(Set(byRows.map(\.bitPattern)).count == layout.count, "every coordinate its own normal")
    }
}

/// The squared norms of per-sample clipping: both paths the same bits, and close to the sum in
/// order.
@Suite struct SquaredNormTests {
    /// Eight lanes of Double against the sum in order: both round squares of Floats exactly
    /// (24-bit mantissas square into 48 bits), so only the additions' order differs.
    static let orderTolerance = 1e-12

    static let counts = [0, 1, 7, 8, 9, 16, 17, 511, 512, 784]

    static func values(_ count: Int) -> [Float] {
        var stream = RandomStream(Philox(seed: 3), .syntheticData, a: count)
        return (0..<count).map { _ in stream.nextUniform() * 4 - 2 }
    }

    @Test(arguments: counts)
    func agreesWithTheSumInOrder(count: Int) {
        let x = Self.values(count)
        let ordered = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(thinned_squared_norm(x, count) - ordered) <= Self.orderTolerance * max(1, ordered))
    }

    @Test(.enabled(if: thinned_cpu_has_avx512f() == 1, "this CPU has no AVX-512 path to compare"), arguments: counts)
    func pathsGiveTheSameBits(count: Int) {
        let x = Self.values(count)
        #expect(thinned_squared_norm_portable(x, count).bitPattern == thinned_squared_norm(x, count).bitPattern)
    }
}
