/// The multipliers of a mask over a row, four units at a time (the units of one Philox block),
/// and the masking loops written once over them.
///
/// Each kind of multiplier is one conforming type — `ScaleBlocks`, `DrawnBlocks`,
/// `GivenBlocks` — so every loop is specialised for the kind it runs: a caller decides the kind
/// once per row, and nothing is decided per unit.
protocol MaskBlocks {
    /// What units `4·block ..< 4·block + 4` are multiplied by.
    func multipliers(block: Int) -> SIMD4<Float>
}

extension MaskBlocks {
    /// `x[e] ← x[e] · m[e]` for `e` in `0 ..< count`.
    /// - Complexity: O(count), one block of multipliers per 4 units.
    @inline(__always)
    func apply(to x: UnsafeMutablePointer<Float>, count: Int) {
        var e = 0
        while e + 4 <= count {
            Lanes.store(Lanes.load(x + e, as: SIMD4<Float>.self) * multipliers(block: e / 4), x + e)
            e += 4
        }
        if e < count {
            let last = multipliers(block: e / 4)
            for lane in 0..<(count - e) { x[e + lane] *= last[lane] }
        }
    }

    /// The fused hidden-layer pass over the units `units` of a row: `z[e] ← max(z[e] + b[e], 0) · m[e]`
    /// — bias, ReLU and the next layer's mask in one pass over a row still in cache. `units` must
    /// start at a multiple of 4 (whole blocks).
    /// - Complexity: O(units.count), one block of multipliers per 4 units.
    @inline(__always)
    func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, units: Range<Int>) {
        precondition(units.lowerBound % 4 == 0, "MaskBlocks: a unit range must start at a multiple of 4, got \(units)")
        var e = units.lowerBound
        while e + 4 <= units.upperBound {
            let s = Lanes.load(z + e, as: SIMD4<Float>.self) + Lanes.load(b + e, as: SIMD4<Float>.self)
            Lanes.store(s.replacing(with: 0, where: s .< 0) * multipliers(block: e / 4), z + e)
            e += 4
        }
        if e < units.upperBound {
            let last = multipliers(block: e / 4)
            for lane in 0..<(units.upperBound - e) { z[e + lane] = max(z[e + lane] + b[e + lane], 0) * last[lane] }
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
