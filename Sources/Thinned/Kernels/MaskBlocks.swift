import CKernels

/// The multipliers of a mask over a row, four units at a time (the units of one Philox block),
/// and the masking loops written once over them.
///
/// Each kind of multiplier is one conforming type — `ScaleBlocks`, `DrawnBlocks`,
/// `GivenBlocks` — so every loop is specialised for the kind it runs: a caller decides the kind
/// once per row, and nothing is decided per unit.
protocol MaskBlocks {
    /// What units `4·block ..< 4·block + 4` are multiplied by.
    func multipliers(block: Int) -> SIMD4<Float>

    /// `y[e] ← x[e] · m[e]` for `e` in `0 ..< count` (`x` may be `y`).
    func apply(from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int)

    /// The fused hidden-layer pass over the units `units` of a row: `z[e] ← r(z[e] + b[e]) · m[e]`
    /// with `r(s) = s < 0 ? 0 : s` — bias, ReLU and the next layer's mask in one pass over a row
    /// still in cache. `units` must start at a multiple of 4 (whole blocks).
    func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, units: Range<Int>)
}

extension MaskBlocks {
    /// Writes the multipliers of the units of `blocks` into `out[0 ..< 4 · blocks.count]`, a block
    /// at a time, by `multipliers(block:)`.
    @inline(__always)
    private func multipliers(blocks: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        for block in blocks { Lanes.store(multipliers(block: block), out + 4 * (block - blocks.lowerBound)) }
    }

    /// The units of one chunk of the generic masking loops (the scale and given kinds; a drawn
    /// mask draws inside its passes): 64 blocks.
    static var chunkUnits: Int { 256 }

    /// Runs `body(chunk, m)` for the chunks of `units` (which starts at a multiple of 4), each at
    /// most `chunkUnits` units long, with `m[e − chunk.lowerBound]` the multiplier of unit `e`.
    @inline(__always)
    private func forEachChunk(of units: Range<Int>, _ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        // A local vector, not `withUnsafeTemporaryAllocation`: an unoptimised build heap-allocates that.
        var storage = (SIMD64<Float>(), SIMD64<Float>(), SIMD64<Float>(), SIMD64<Float>())
        withUnsafeMutableBytes(of: &storage) { bytes in
            let m = bytes.baseAddress!.assumingMemoryBound(to: Float.self)
            var e = units.lowerBound
            while e < units.upperBound {
                let chunk = e..<min(e + Self.chunkUnits, units.upperBound)
                multipliers(blocks: (chunk.lowerBound / 4)..<((chunk.upperBound + 3) / 4), into: m)
                body(chunk, m)
                e = chunk.upperBound
            }
        }
    }

    /// `y[e] ← x[e] · m[e]`, a chunk of multipliers at a time (`CKernels`' pass).
    /// - Complexity: O(count).
    @inline(__always)
    func apply(from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        forEachChunk(of: 0..<count) { chunk, m in
            thinned_masked_copy(x + chunk.lowerBound, m, y + chunk.lowerBound, Int32(chunk.count))
        }
    }

    /// The fused pass, a chunk of multipliers at a time (`CKernels`' pass).
    /// - Complexity: O(units.count).
    @inline(__always)
    func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, units: Range<Int>) {
        precondition(units.lowerBound % 4 == 0, "MaskBlocks: a unit range must start at a multiple of 4, got \(units)")
        forEachChunk(of: units) { chunk, m in
            thinned_bias_relu_mask(z + chunk.lowerBound, b + chunk.lowerBound, m, Int32(chunk.count))
        }
    }

    /// Writes the multipliers of the units `units` (any range) into `out[0 ..< units.count]`.
    func write(units: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        var e = units.lowerBound
        var block = multipliers(block: e / 4)
        while e < units.upperBound {
            if e % 4 == 0 && e > units.lowerBound { block = multipliers(block: e / 4) }
            out[e - units.lowerBound] = block[e % 4]
            e += 1
        }
    }
}

/// Every unit multiplied by one `scale`: no mask (weight scaling's prediction scale, or a mask
/// that keeps everything).
struct ScaleBlocks: MaskBlocks {
    let scale: Float

    @inline(__always)
    func multipliers(block: Int) -> SIMD4<Float> { SIMD4(repeating: scale) }
}

/// A mask drawn from `stream`: unit `e` kept when word `e` is below `threshold`; kept units
/// multiplied by `scale`, dropped ones by 0.
struct DrawnBlocks: MaskBlocks {
    let stream: RandomStream
    let threshold: UInt32
    let scale: Float

    @inline(__always)
    func multipliers(block: Int) -> SIMD4<Float> {
        let words = stream.block(UInt32(block))
        let keep = SIMD4<UInt32>(words.0, words.1, words.2, words.3) .< SIMD4<UInt32>(repeating: threshold)
        return SIMD4<Float>.zero.replacing(with: SIMD4(repeating: scale), where: keep)
    }

    /// The masked copy with the multipliers drawn inside the pass (`CKernels`: on AVX-512 they
    /// never leave the registers).
    @inline(__always)
    func apply(from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        let counter = stream.counter(block: 0), key = stream.generator.key
        thinned_philox_masked_copy(key.0, key.1, counter.0, counter.1, counter.2, counter.3, threshold, scale, x, y,
                                   Int32(count))
    }

    /// The fused pass with the multipliers drawn inside it (`CKernels`).
    @inline(__always)
    func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, units: Range<Int>) {
        precondition(units.lowerBound % 4 == 0, "MaskBlocks: a unit range must start at a multiple of 4, got \(units)")
        let counter = stream.counter(block: UInt32(units.lowerBound / 4)), key = stream.generator.key
        thinned_philox_bias_relu_mask(key.0, key.1, counter.0, counter.1, counter.2, counter.3, threshold, scale,
                                      z + units.lowerBound, b + units.lowerBound, Int32(units.count))
    }
}

/// A mask given as bits (an enumerated mask): unit `e` kept when bit `e` of `keeps` is set; kept
/// units multiplied by `scale`, dropped ones by 0. Covers the first 64 units.
struct GivenBlocks: MaskBlocks {
    let keeps: UInt64
    let scale: Float

    @inline(__always)
    func multipliers(block: Int) -> SIMD4<Float> {
        let nibble = UInt32(truncatingIfNeeded: keeps >> UInt64(4 * block))
        let bits = SIMD4<UInt32>(repeating: nibble) & SIMD4<UInt32>(1, 2, 4, 8)
        return SIMD4<Float>.zero.replacing(with: SIMD4(repeating: scale), where: bits .!= 0)
    }
}
