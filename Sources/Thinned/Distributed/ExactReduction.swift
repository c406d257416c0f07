/// Summing gradients of fixed sample groups so that the result does not depend on where each group
/// was computed: `--reduce exact`.
///
/// A batch of B samples is cut into B / `groupSize` groups of consecutive batch positions, fixed by
/// the batch and the group size, never by the number of processes. Each group's gradient sum is
/// one fixed computation (its rows' GEMMs, the same shapes wherever it runs). To add the groups up
/// in any order with the same bits, every group's value x of tensor t is turned into the integer
/// round(x·2^kₜ) (to nearest, ties to even) and the integers are added — exactly, in any order —
/// then the sum S is turned back into the float S·2^−kₜ, rounded once.
///
/// The scale: with Mₜ the largest |x| of tensor t over every group (a maximum, exact in any order)
/// and Mₜ < 2^eₜ, kₜ = 62 − h − eₜ where 2^h ≥ the number of groups. Every integer is then at most
/// 2^(62−h) in magnitude and any sum of them at most 2^62: it cannot overflow an Int64. What the
/// integers keep: each value to within 2^(eₜ+h−63) — relative to the tensor's largest value about
/// 2^−(63−h), far below a Float's 2^−24, so the sum is the exact sum of the groups' values to well
/// below the final Float rounding, except that values under 2^(eₜ+h−63) (2^−56 of the largest, for
/// 64 groups) count as 0. A tensor with a value that is not finite has no scale: `scale` returns nil,
/// and the step reports a diverged run instead of summing.
public enum ExactReduction {
    /// The bits of the integers.
    static let integerBits = 62

    /// h: the least h with 2^h ≥ `groups`.
    static func headroom(groups: Int) -> Int {
        precondition(groups >= 1, "ExactReduction: \(groups) groups")
        return Int.bitWidth - (groups - 1).leadingZeroBitCount
    }

    /// kₜ for a tensor whose largest magnitude over all groups is `maximum`, summed over `groups`
    /// groups: nil when `maximum` is not finite; 0 for an all-zero tensor.
    static func scale(maximum: Float, groups: Int) -> Int? {
        guard maximum.isFinite else { return nil }
        if maximum == 0 { return 0 }
        // maximum < 2^e with e = exponent + 1 (for subnormals too: Float.exponent is the true one).
        let e = Int(maximum.exponent) + 1
        return integerBits - headroom(groups: groups) - e
    }

    /// round(x·2^k) to nearest, ties to even: exact, since a Float times a power of two is exact in
    /// Double over this range (|x·2^k| ≤ 2^62, and x·2^k ≥ 2^−149·2^k never underflows Double).
    @inline(__always)
    static func integer(_ x: Float, scale k: Int) -> Int64 {
        Int64((Double(x) * Double(sign: .plus, exponent: k, significand: 1)).rounded(.toNearestOrEven))
    }

    /// S·2^−k rounded once to Float.
    @inline(__always)
    static func value(_ sum: Int64, scale k: Int) -> Float {
        // Float(sum) rounds to 24 bits and the power of two is exact — unless the product is a
        // subnormal, which would round a second time: then the Double path (53 bits, exact for
        // |sum| ≤ 2^53; beyond that the value is far from subnormal).
        let rounded = Float(sum)
        let result = Float(sign: .plus, exponent: -k, significand: rounded)
        if result.isNormal || result == 0 { return result }
        return Float(Double(sum) * Double(sign: .plus, exponent: -k, significand: 1))
    }

    /// Adds the integers of `count` values at `values` to `sums`.
    static func accumulate(_ values: UnsafePointer<Float>, count: Int, scale k: Int, into sums: UnsafeMutablePointer<Int64>) {
        let factor = Double(sign: .plus, exponent: k, significand: 1)
        for j in 0..<count {
            sums[j] &+= Int64((Double(values[j]) * factor).rounded(.toNearestOrEven))
        }
    }

    /// Writes the Floats of `count` integer sums.
    static func values(_ sums: UnsafePointer<Int64>, count: Int, scale k: Int, into out: UnsafeMutablePointer<Float>) {
        for j in 0..<count { out[j] = value(sums[j], scale: k) }
    }
}

/// Which of a batch's groups each of R processes computes: consecutive runs, the first
/// G mod R processes one group more (R ≤ G).
public struct GroupPlan: Hashable, Sendable {
    /// Samples per group.
    public let groupSize: Int
    /// Groups per batch.
    public let groups: Int
    /// Processes.
    public let ranks: Int

    /// The plan for batches of `batchSize` samples; nil when the batch does not divide into groups
    /// or there are more processes than groups (`GroupPlan.problem` says which).
    public init?(batchSize: Int, groupSize: Int, ranks: Int) {
        guard Self.problem(batchSize: batchSize, groupSize: groupSize, ranks: ranks) == nil else { return nil }
        self.groupSize = groupSize
        self.groups = batchSize / groupSize
        self.ranks = ranks
    }

    /// Why these cannot make a plan, or nil.
    public static func problem(batchSize: Int, groupSize: Int, ranks: Int) -> String? {
        if groupSize < 1 { return "a group size of \(groupSize): it must be at least 1" }
        if batchSize % groupSize != 0 {
            return "a batch of \(batchSize) does not divide into groups of \(groupSize)"
        }
        if ranks > batchSize / groupSize {
            return "\(ranks) processes for \(batchSize / groupSize) groups of \(groupSize) samples: each process needs at least one group (a larger batch, smaller groups or fewer processes)"
        }
        return nil
    }

    /// The groups of process `rank`.
    public func groups(of rank: Int) -> Range<Int> {
        precondition(rank >= 0 && rank < ranks, "GroupPlan: rank \(rank) of \(ranks)")
        let base = groups / ranks, extra = groups % ranks
        let first = rank * base + min(rank, extra)
        return first..<(first + base + (rank < extra ? 1 : 0))
    }

    /// The batch positions of process `rank`.
    public func rows(of rank: Int) -> Range<Int> {
        let g = groups(of: rank)
        return (g.lowerBound * groupSize)..<(g.upperBound * groupSize)
    }
}
