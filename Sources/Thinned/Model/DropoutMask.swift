/// One sample's dropout mask over the input of one weight layer: unit `e` is kept when word `e`
/// of the stream (dropoutMask, step, sample, layer) is below `keepProbability · 2³²`.
///
/// The mask is a pure function of (seed, step, the sample's position in the batch, layer,
/// element), so the literal and the fused paths, and any number of threads, draw the same one.
/// It is never stored: the kernels draw it while the row is in cache (one Philox block gives 4
/// units), and backward recovers it from the masked activations (see `Dense`).
public struct DropoutMask: Sendable {
    public let generator: Philox
    public let step: Int
    public let sample: Int
    public let layer: Int
    /// Units with a word below this are kept; 2³² keeps everything.
    public let keepThreshold: UInt64
    /// What a kept unit is multiplied by (1/q for inverted dropout, 1 for vanilla).
    public let scale: Float

    public init(generator: Philox, step: Int, sample: Int, layer: Int, keepProbability: Float, scale: Float) {
        precondition(keepProbability > 0 && keepProbability <= 1, "DropoutMask: keep probability \(keepProbability) outside (0, 1]")
        self.generator = generator
        self.step = step
        self.sample = sample
        self.layer = layer
        self.keepThreshold = min(UInt64((Double(keepProbability) * 0x1p32).rounded()), 1 << 32)
        self.scale = scale
    }

    /// The mask for `sample` of `step` over the input of `layer`, as the model configures it.
    public init(_ model: ModelConfiguration, generator: Philox, step: Int, sample: Int, layer: Int) {
        self.init(generator: generator, step: step, sample: sample, layer: layer,
                  keepProbability: model.keepProbability(layer: layer), scale: model.trainingScale(layer: layer))
    }

    /// True when nothing is dropped (no draws needed).
    public var keepsAll: Bool { keepThreshold >= 1 << 32 }

    private var stream: RandomStream { RandomStream(generator, .dropoutMask, a: step, b: sample, c: layer) }

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
        if keepsAll {
            if scale != 1 { for e in 0..<count { x[e] *= scale } }
            return
        }
        forEachBlock(count: count) { e, keep in x[e] = keep ? x[e] * scale : 0 }
    }

    /// The fused hidden-layer pass: `z[e] ← kept(e) ? max(z[e] + b[e], 0) · scale : 0` — bias,
    /// ReLU and the next layer's mask in one pass over a row still in cache.
    public func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, count: Int) {
        if keepsAll {
            for e in 0..<count { z[e] = max(z[e] + b[e], 0) * scale }
            return
        }
        forEachBlock(count: count) { e, keep in z[e] = keep ? max(z[e] + b[e], 0) * scale : 0 }
    }

    func forEachBlock(count: Int, _ body: (Int, Bool) -> Void) {
        let stream = RandomStream(generator, .dropoutMask, a: step, b: sample, c: layer)
        let threshold = keepThreshold
        var e = 0
        var index: UInt32 = 0
        while e < count {
            let block = stream.block(index)
            index &+= 1
            body(e, UInt64(block.0) < threshold)
            if e + 1 < count { body(e + 1, UInt64(block.1) < threshold) }
            if e + 2 < count { body(e + 2, UInt64(block.2) < threshold) }
            if e + 3 < count { body(e + 3, UInt64(block.3) < threshold) }
            e += 4
        }
    }
}
