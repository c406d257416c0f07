/// One sample's dropout mask over the input of one weight layer: unit `e` is kept when word `e`
/// of the stream (dropoutMask, step, sample, layer) is below `keepProbability · 2³²`.
///
/// The mask is a pure function of (seed, step, the sample's position in the batch, layer,
/// element), so the literal and the fused paths, and any number of threads, draw the same one.
/// It is never stored: the kernels draw it while the row is in cache (one Philox block gives 4
/// units), and backward recovers it from the masked activations (see `Dense`).
public struct DropoutMask: Sendable {
    /// The generator keyed by the run's seed.
    public let generator: Philox
    /// `.dropoutMask` while training; `.inference` for Monte-Carlo prediction.
    public let purpose: RandomPurpose
    /// The step (or Monte-Carlo pass) the mask belongs to: coordinate `a` of its stream.
    public let step: Int
    /// The sample's position in the batch: coordinate `b` of its stream.
    public let sample: Int
    /// The weight layer whose input the mask covers: coordinate `c` of its stream.
    public let layer: Int
    /// Units with a word below this are kept; 2³² keeps everything.
    public let keepThreshold: UInt64
    /// What a kept unit is multiplied by (1/q for inverted dropout, 1 for vanilla).
    public let scale: Float

    /// A mask keeping each unit with probability `keepProbability`, in (0, 1], and multiplying kept
    /// units by `scale`.
    public init(generator: Philox, purpose: RandomPurpose = .dropoutMask, step: Int, sample: Int, layer: Int,
                keepProbability: Float, scale: Float) {
        precondition(keepProbability > 0 && keepProbability <= 1, "DropoutMask: keep probability \(keepProbability) outside (0, 1]")
        self.generator = generator
        self.purpose = purpose
        self.step = step
        self.sample = sample
        self.layer = layer
        self.keepThreshold = min(UInt64((Double(keepProbability) * 0x1p32).rounded()), 1 << 32)
        self.scale = scale
    }

    /// The mask for `sample` of `step` over the input of `layer`, as the model configures it.
    public init(_ model: ModelConfiguration, generator: Philox, purpose: RandomPurpose = .dropoutMask, step: Int, sample: Int,
                layer: Int) {
        self.init(generator: generator, purpose: purpose, step: step, sample: sample, layer: layer,
                  keepProbability: model.keepProbability(layer: layer), scale: model.trainingScale(layer: layer))
    }

    /// True when nothing is dropped (no draws needed).
    public var keepsAll: Bool { keepThreshold >= 1 << 32 }

    private var stream: RandomStream { RandomStream(generator, purpose, a: step, b: sample, c: layer) }

    /// Whether each of the first `count` units is kept.
    public func keeps(count: Int) -> [Bool] {
        var result = [Bool](repeating: true, count: count)
        if keepsAll { return result }
        let stream = self.stream
        for e in 0..<count {
            let block = stream.block(UInt32(e / 4))
            let word = switch e % 4 { case 0: block.0 case 1: block.1 case 2: block.2 default: block.3 }
            result[e] = UInt64(word) < keepThreshold
        }
        return result
    }

    /// `x[e] ← kept(e) ? x[e] · scale : 0` for `e` in `0 ..< count`.
    /// - Complexity: O(count), one Philox block per 4 units.
    public func apply(to x: UnsafeMutablePointer<Float>, count: Int) {
        apply(from: x, to: x, count: count)
    }

    /// `y[e] ← kept(e) ? x[e] · scale : 0` for `e` in `0 ..< count`: the masked copy of `x` (which
    /// may be `y`), in one pass.
    /// - Complexity: O(count), one Philox block per 4 units.
    public func apply(from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        if keepsAll {
            ScaleBlocks(scale: scale).apply(from: x, to: y, count: count)
        } else {
            drawn.apply(from: x, to: y, count: count)
        }
    }

    /// The fused hidden-layer pass: `z[e] ← r(z[e] + b[e]) · m[e]` with `r(s) = s < 0 ? 0 : s` and
    /// `m[e] = kept(e) ? scale : 0` — bias, ReLU and the next layer's mask in one pass over a row
    /// still in cache.
    public func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, count: Int) {
        applyBiasReLU(to: z, bias: b, units: 0..<count)
    }

    /// The fused pass over the units `units` of a row only (a tile's columns); `units` must start
    /// at a multiple of 4, the units of one Philox block.
    /// - Complexity: O(units.count), one Philox block per 4 units.
    public func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, units: Range<Int>) {
        if keepsAll {
            ScaleBlocks(scale: scale).applyBiasReLU(to: z, bias: b, units: units)
        } else {
            drawn.applyBiasReLU(to: z, bias: b, units: units)
        }
    }

    /// Writes each unit's multiplier — `scale` where kept, 0 where dropped — for the units
    /// `units` (any range) into `out[0 ..< units.count]`.
    public func multipliers(units: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        if keepsAll { ScaleBlocks(scale: scale).write(units: units, into: out) } else { drawn.write(units: units, into: out) }
    }

    /// The multipliers of a mask that drops something (`keepsAll` is false, so the threshold is
    /// below 2³²), drawn a Philox block at a time.
    private var drawn: DrawnBlocks {
        DrawnBlocks(stream: stream, threshold: UInt32(keepThreshold), scale: scale)
    }
}
