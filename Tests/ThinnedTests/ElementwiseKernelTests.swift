import CKernels
import Testing
@testable import Thinned

/// The elementwise passes of `CKernels` (mask_passes.c, dense_passes.c) against the formulas they
/// state, written out here one element at a time in Swift: every bit, on the dispatched path (the
/// AVX-512 one where the CPU has it: `thinned_cpu_has_avx512f`, named in the messages of the
/// dispatched kernels' checks) and the portable one, for every length up to 300 — every remainder
/// after the vectors of 16, the bias gradient's blocks of 64 columns and the passes' groups of 64
/// and 128 units, and the portable path's chunks of 256 — and nothing written past the end.
@Suite struct ElementwiseKernelTests {
    static let lengths = Array(0...300) + [784]
    static let path = thinned_cpu_has_avx512f() == 1 ? "AVX-512" : "portable (no AVX-512 here)"

    /// Values with both signs, zeros of both signs, and a NaN: the comparisons must treat them as
    /// the formulas say.
    static func values(_ count: Int, seed: UInt32) -> [Float] {
        var stream = RandomStream(Philox(seed: UInt64(seed)), .shuffle)
        return (0..<count).map { e in
            switch e % 29 {
            case 7: return 0
            case 11: return -0.0
            case 23: return .nan
            default: return (RandomStream.uniform(stream.next()) - 0.5) * 8
            }
        }
    }

    /// Equal bit for bit (NaN included).
    static func same(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    /// `thinned_philox_bias_relu_mask` and `thinned_philox_masked_copy`, both paths, against the
    /// multipliers of `thinned_philox_multipliers_portable` (which `WidePhiloxTests` checks
    /// against `Philox.block`) and the formulas.
    @Test(arguments: [UInt32(0), 5, 0xffff_fff0])
    func drawnPassesAreTheFormulas(first: UInt32) {
        for count in Self.lengths { Self.checkDrawnPasses(count: count, first: first) }
    }

    static func checkDrawnPasses(count: Int, first: UInt32) {
        let generator = Philox(seed: 0x0bad_cafe)
        let c = RandomStream(generator, .dropoutMask, a: 3, b: 9, c: 1).counter(block: first)
        let k = generator.key, t: UInt32 = 0x8000_0000, scale: Float = 2, n = Int32(count)
        var m = [Float](repeating: 0, count: count + 4)
        thinned_philox_multipliers_portable(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, Int32((count + 3) / 4), &m)
        let z = values(count, seed: 1), b = values(count, seed: 2), x = values(count, seed: 3)
        let reluMasked = (0..<count).map { e -> Float in
            let s = z[e] + b[e]
            return (s < 0 ? 0 : s) * m[e]
        }
        let copied = (0..<count).map { x[$0] * m[$0] }
        for portable in [false, true] {
            let name = portable ? "portable" : "dispatched, \(path)"
            var out = z + [-7, -7]
            if portable {
                thinned_philox_bias_relu_mask_portable(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, &out, b, n)
            } else {
                thinned_philox_bias_relu_mask(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, &out, b, n)
            }
            #expect(same(out[..<count], reluMasked[...]), "bias–ReLU–mask, \(name), \(count) units from block \(first)")
            #expect(out[count...] == [-7, -7], "bias–ReLU–mask, \(name), wrote past \(count) units")

            var copy = [Float](repeating: -7, count: count + 2)
            if portable {
                thinned_philox_masked_copy_portable(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, x, &copy, n)
            } else {
                thinned_philox_masked_copy(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, x, &copy, n)
            }
            #expect(same(copy[..<count], copied[...]), "masked copy, \(name), \(count) units from block \(first)")
            #expect(copy[count...] == [-7, -7], "masked copy, \(name), wrote past \(count) units")

            // In place: the source is the destination.
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer {
                if portable {
                    thinned_philox_masked_copy_portable(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, $0.baseAddress!, $0.baseAddress!, n)
                } else {
                    thinned_philox_masked_copy(k.0, k.1, c.0, c.1, c.2, c.3, t, scale, $0.baseAddress!, $0.baseAddress!, n)
                }
            }
            #expect(same(inPlace[...], copied[...]), "masked copy in place, \(name), \(count) units")
        }
    }

    /// A drawn mask's row through `DropoutMask`'s fused pass (the C kernel) against the formula
    /// with the multipliers of `DropoutMask.multipliers(units:)` (drawn a Philox block at a time
    /// in Swift), for a tile's units that start inside the row.
    @Test(arguments: [0..<48, 48..<96, 16..<784, 500..<512, 0..<0])
    func drawnMaskAgreesWithItsBlocks(units: Range<Int>) {
        let mask = DropoutMask(generator: Philox(seed: 42), step: 3, sample: 7, layer: 1, keepProbability: 0.7,
                               scale: 1 / 0.7)
        let width = 784
        let z = Self.values(width, seed: 4), b = Self.values(width, seed: 5)
        var fused = z
        fused.withUnsafeMutableBufferPointer { mask.applyBiasReLU(to: $0.baseAddress!, bias: b, units: units) }
        var multipliers = [Float](repeating: 0, count: width)
        mask.multipliers(units: 0..<width, into: &multipliers)
        var expected = z
        for e in units {
            let s = z[e] + b[e]
            expected[e] = (s < 0 ? 0 : s) * multipliers[e]
        }
        #expect(Self.same(fused[...], expected[...]))
    }

    /// The given-multiplier passes (scale and enumerated masks) against the formulas.
    @Test func givenPassesAreTheFormulas() {
        for count in Self.lengths { Self.checkGivenPasses(count: count) }
    }

    static func checkGivenPasses(count: Int) {
        let m = values(count, seed: 6).map { $0 < 0 ? 0 : Float(1.25) }
        let z = values(count, seed: 7), b = values(count, seed: 8), x = values(count, seed: 9)
        var out = z + [-7]
        thinned_bias_relu_mask(&out, b, m, Int32(count))
        #expect(same(out[..<count], (0..<count).map { e -> Float in
            let s = z[e] + b[e]
            return (s < 0 ? 0 : s) * m[e]
        }[...]), "bias–ReLU–mask, \(count) units")
        #expect(out[count] == -7)
        var copied = [Float](repeating: -7, count: count + 1)
        thinned_masked_copy(x, m, &copied, Int32(count))
        #expect(same(copied[..<count], (0..<count).map { x[$0] * m[$0] }[...]), "masked copy, \(count) units")
        #expect(copied[count] == -7)
    }

    /// The bias gradient: each column summed over the rows in order from 0, then times alpha;
    /// column counts around the 64 columns the AVX-512 path keeps in registers, a stride wider than
    /// the columns (a tile of a wider layer), no rows at all.
    @Test(arguments: [0, 1, 7, 100])
    func biasGradientIsTheOrderedSum(rows: Int) {
        for columns in 1...200 { Self.checkBiasGradient(columns: columns, rows: rows) }
    }

    static func checkBiasGradient(columns: Int, rows: Int) {
        let stride = columns + 13, alpha: Float = 0.01
        let dy = values(rows * stride, seed: 10).map { $0.isNaN ? 1 : $0 }
        let expected = (0..<columns).map { o -> Float in
            var sum: Float = 0
            for r in 0..<rows { sum += dy[r * stride + o] }
            return sum * alpha
        }
        let paths: [(String, (UnsafePointer<Float>, Int, Int, Int32, Float, UnsafeMutablePointer<Float>) -> Void)] = [
            ("dispatched, \(path)", { thinned_bias_gradient($0, $1, $2, $3, $4, $5) }),
            ("portable", { thinned_bias_gradient_portable($0, $1, $2, $3, $4, $5) }),
        ]
        for (name, path) in paths {
            var db = [Float](repeating: -7, count: columns + 1)
            dy.withUnsafeBufferPointer { path($0.baseAddress!, rows, stride, Int32(columns), alpha, &db) }
            #expect(same(db[..<columns], expected[...]), "\(name), \(columns) columns × \(rows) rows")
            #expect(db[columns] == -7, "\(name) wrote past \(columns) columns")
        }
    }

    /// The masked ReLU's backward: `d · scale` where `x > 0` (not at 0, −0 or NaN), else 0.
    @Test func maskedReLUBackwardIsTheFormula() {
        for count in Self.lengths { Self.checkMaskedReLUBackward(count: count) }
    }

    static func checkMaskedReLUBackward(count: Int) {
        let d = values(count, seed: 11), x = values(count, seed: 12), scale: Float = 1 / 0.7
        let expected = (0..<count).map { x[$0] > 0 ? d[$0] * scale : 0 }
        let paths: [(String, (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int32, Float) -> Void)] = [
            ("dispatched, \(path)", { thinned_masked_relu_backward($0, $1, $2, $3) }),
            ("portable", { thinned_masked_relu_backward_portable($0, $1, $2, $3) }),
        ]
        for (name, path) in paths {
            var out = d + [-7]
            out.withUnsafeMutableBufferPointer { path($0.baseAddress!, x, Int32(count), scale) }
            #expect(same(out[..<count], expected[...]), "\(name), \(count) units")
            #expect(out[count] == -7, "\(name) wrote past \(count) units")
        }
    }
}
