/// A sequence of random 32-bit words named by (purpose, a, b, c): for a dropout mask, a is the
/// step, b the sample's position in the batch and c the layer.
///
/// Counter layout: word 0 = block number within the stream, word 1 = `b`, word 2 = `a`,
/// word 3 = purpose (high 8 bits) | `c` (low 24 bits). Word `j` of the stream is word `j % 4`
/// of block `j / 4`, so any element can be drawn directly (`word(at:)`) or in order (`next()`).
public struct RandomStream: Sendable {
    /// The generator keyed by the seed.
    public let generator: Philox
    /// What the stream is for: the high 8 bits of counter word 3.
    public let purpose: RandomPurpose
    /// The stream's coordinates: `a` is counter word 2, `b` word 1, `c` the low 24 bits of word 3.
    public let a: UInt32, b: UInt32, c: UInt32
    private var block: UInt32 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    /// The stream (`purpose`, `a`, `b`, `c`) of `generator`, from its first word; `a` and `b` must fit
    /// in 32 bits and `c` in 24.
    public init(_ generator: Philox, _ purpose: RandomPurpose, a: Int = 0, b: Int = 0, c: Int = 0) {
        precondition(a >= 0 && a <= Int(UInt32.max) && b >= 0 && b <= Int(UInt32.max) && c >= 0 && c < 1 << 24,
                     "RandomStream: coordinates out of range: a \(a), b \(b), c \(c)")
        self.generator = generator
        self.purpose = purpose
        self.a = UInt32(a); self.b = UInt32(b); self.c = UInt32(c)
    }

    /// The stream's block `index`: 4 words.
    @inline(__always)
    public func block(_ index: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        generator.block(counter(block: index))
    }

    /// The Philox counter of the stream's block `index`; blocks `index + 1`, `index + 2`, … differ
    /// from it in word 0 only.
    @inline(__always)
    public func counter(block index: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        (index, b, a, purpose.rawValue << 24 | c)
    }

    /// The next word of the stream.
    public mutating func next() -> UInt32 {
        if used == 4 {
            buffer = block(block)
            block &+= 1
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// A uniform float in [0, 1): the next word's top 24 bits × 2⁻²⁴, exact in Float.
    public mutating func nextUniform() -> Float { Self.uniform(next()) }

    /// A uniform integer in 0 ..< `bound`, without bias (Lemire's multiply-and-reject,
    /// ACM TOMACS 2019); rejected words are skipped, so the result stays a pure function of the
    /// stream.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0 && bound <= Int(UInt32.max), "RandomStream.nextInt: bound \(bound) out of range")
        let n = UInt64(bound)
        let threshold = (UInt64(1) << 32) % n
        while true {
            let product = UInt64(next()) &* n
            if product & 0xFFFF_FFFF >= threshold { return Int(product >> 32) }
        }
    }

    /// The uniform float in [0, 1) that a 32-bit word stands for: its top 24 bits × 2⁻²⁴. Written
    /// out so that it never depends on a library's conversion.
    public static func uniform(_ word: UInt32) -> Float {
        Float(word >> 8) * 0x1p-24
    }
}
