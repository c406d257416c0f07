/// The Philox4x32-10 counter-based random number generator: a keyed bijection from a 128-bit
/// counter to 128 random bits.
///
/// Every random number Thinned draws is `Philox(key).block(counter)` for a counter that names
/// what the number is for (see `RandomStream`), so it is a pure function of the seed and its
/// place, never of which thread draws it or in what order.
///
/// [Philox]: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random numbers: as easy
/// as 1, 2, 3", SC'11. Constants and known-answer vectors from the Random123 distribution.
public struct Philox: Hashable, Sendable {
    /// The 64-bit key, as two 32-bit words.
    public let key: (UInt32, UInt32)

    /// The generator with this 64-bit key, as two 32-bit words.
    public init(key: (UInt32, UInt32)) { self.key = key }

    /// The generator keyed by a 64-bit seed (low word first).
    public init(seed: UInt64) { self.init(key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))) }

    static let multiplier0: UInt32 = 0xD251_1F53
    static let multiplier1: UInt32 = 0xCD9E_8D57
    static let weyl0: UInt32 = 0x9E37_79B9
    static let weyl1: UInt32 = 0xBB67_AE85

    /// The 128 random bits for `counter`: ten rounds of Philox4x32.
    /// - Complexity: O(1), about twenty 32×32→64-bit multiplies.
    @inline(__always)
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for round in 0..<10 {
            let p0 = UInt64(Self.multiplier0) &* UInt64(c.0)
            let p1 = UInt64(Self.multiplier1) &* UInt64(c.2)
            c = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
                 UInt32(truncatingIfNeeded: p0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: p0))
            if round < 9 { k = (k.0 &+ Self.weyl0, k.1 &+ Self.weyl1) }
        }
        return c
    }

    /// Generators are equal when their keys are (tuples are not `Equatable`).
    public static func == (lhs: Philox, rhs: Philox) -> Bool { lhs.key == rhs.key }
    /// Hashes the two key words.
    public func hash(into hasher: inout Hasher) { hasher.combine(key.0); hasher.combine(key.1) }
}
