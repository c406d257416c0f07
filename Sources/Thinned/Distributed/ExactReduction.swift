import CKernels

/// Summing gradients of fixed sample groups so that the result does not depend on where each group
/// was computed: `--reduce exact`.
///
/// A batch of B samples is cut into G = B / `groupSize` groups of consecutive batch positions, fixed
/// by the batch and the group size, never by the number of processes. Each group's gradient sum is
/// one fixed computation (its rows' GEMMs, the same shapes wherever it runs). To add the groups up
/// in any order with the same bits, every group's value x of tensor t is turned into the integer
/// round(x·2^kₜ) (to nearest, ties to even) and the integers are added — exactly, in any order, so
/// `MPI_Allreduce` of `MPI_INT64_T` with `MPI_SUM` is safe — then the sum S is turned back into
/// the Float S·2^−kₜ, rounded once.
///
/// The scale: Mₜ is a bound on |x| for every value of tensor t in every group, known before any
/// gradient tile runs, so that each tile is converted while it is still in cache: for the weights
/// of a layer, a group's element is (1/B)·Σᵢ δᵢ[o]·z̃ᵢ[j] over the group's samples, at most
/// (1/B)·Σᵢ ‖δᵢ‖∞‖z̃ᵢ‖∞; for its bias, (1/B)·Σᵢ ‖δᵢ‖∞ (δ after clipping). Mₜ is the largest such
/// group bound over all groups — a maximum, exact in any order, shared by every process — times a
/// margin for the Float rounding of the products (`margin`). With Mₜ < 2^eₜ and 2^h ≥ G,
/// kₜ = 62 − h − eₜ: every integer is then at most 2^(62−h) in magnitude and any sum of G of them at
/// most 2^62, so an Int64 cannot overflow. Every conversion checks its value against that limit
/// (and for NaN); a value beyond it is reported, never summed silently.
///
/// Precision: each group's value is kept to within half of 2^−kₜ, that is 2^(eₜ+h−63), at most
/// 2^−(62−h) relative to Mₜ: for 64 groups 2^−56, against a Float's 2^−24. The bound is above the
/// true largest magnitude (by the products' spread; a few bits on the reference model), so the
/// relative resolution against the largest value is somewhat coarser, still some 25 bits finer
/// than a Float; values more than 2^(62−h−24) times below Mₜ lose bits (and below 2^−kₜ/2 count
/// as 0), as they would in any Float sum beside the largest.
public enum ExactReduction {
    /// The bits of the integers' magnitudes.
    static let integerBits = 62

    /// h: the least h with 2^h ≥ `groups`.
    static func headroom(groups: Int) -> Int {
        precondition(groups >= 1, "ExactReduction: \(groups) groups")
        return Int.bitWidth - (groups - 1).leadingZeroBitCount
    }

    /// The factor on a bound Σᵢ aᵢbᵢ computed exactly enough (in Double) that covers what the Float
    /// products and sums of `rows` rows can add to the values they bound: each is within
    /// (rows + 2)·2^−24 of its exact value, relative to the bound.
    static func margin(rows: Int) -> Double { 1 + Double(rows + 2) * 0x1p-23 }

    /// kₜ for a tensor whose values are bounded by `maximum` in every one of `groups` groups: nil
    /// when `maximum` is not finite; 0 for an all-zero tensor.
    static func scale(maximum: Float, groups: Int) -> Int? {
        guard maximum.isFinite else { return nil }
        if maximum == 0 { return 0 }
        // maximum < 2^e with e = exponent + 1 (for subnormals too: Float.exponent is the true one).
        let e = Int(maximum.exponent) + 1
        return integerBits - headroom(groups: groups) - e
    }

    /// The largest magnitude of a value's integer, 2^(62 − h).
    static func limit(groups: Int) -> Double { Double(sign: .plus, exponent: integerBits - headroom(groups: groups), significand: 1) }

    /// Adds (or, with `store`, writes) round(x·2^k) for a `rows` × `columns` block of Floats
    /// (`stride` apart) into the integers at `sums` (`sumStride` apart). Returns 0, or flags: 1 when
    /// a value is not finite, 2 when one is beyond `limit` (the sums are then not to be used).
    @discardableResult
    static func accumulate(_ values: UnsafePointer<Float>, rows: Int = 1, columns: Int, stride: Int = 0, scale k: Int,
                           limit: Double, into sums: UnsafeMutablePointer<Int64>, sumStride: Int = 0, store: Bool = false) -> Int8 {
        Int8(thinned_exact_accumulate(values, rows, columns, stride, sums, sumStride, Int32(k), limit, store ? 1 : 0))
    }

    /// Writes the Floats S·2^−k of `count` integer sums (see `thinned_exact_values`).
    static func values(_ sums: UnsafePointer<Int64>, count: Int, scale k: Int, into out: UnsafeMutablePointer<Float>) {
        thinned_exact_values(sums, count, Int32(k), out)
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
