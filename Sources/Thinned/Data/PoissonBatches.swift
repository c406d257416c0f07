import CKernels

/// Poisson sampling: the batch of step t holds every training example k whose word
/// Philox(seed; k / 4, 0, t, purpose `batchSampling`) lane k mod 4 is below ⌊q·2³²⌋, with
/// q = batch/N — each example independently with probability q (to within 2⁻³²), whatever the
/// other steps drew. A pure function of the seed and the step, so a resumed run draws the
/// batches the uninterrupted one would have, and the thread count never enters.
///
/// Batch sizes follow Binomial(N, q): mean `batchSize`, standard deviation √(batch·(1 − q));
/// a batch may be empty.
public final class PoissonBatches {
    /// The training examples drawn from.
    public let count: Int
    /// The expected batch size.
    public let batchSize: Int
    let generator: Philox
    let threshold: UInt32
    /// One multiplier (1 kept, 0 not) per example, rounded up to whole Philox blocks.
    private var draws: [Float]

    /// Batches of `count` examples with expected size `batchSize` (1 ... `count`) under `seed`.
    public init(count: Int, batchSize: Int, seed: UInt64) {
        precondition(batchSize >= 1 && batchSize <= count, "PoissonBatches: batch size \(batchSize) outside 1...\(count)")
        precondition(count <= 4 * Int(UInt32.max), "PoissonBatches: \(count) examples are more than the counters name")
        self.count = count
        self.batchSize = batchSize
        generator = Philox(seed: seed)
        let q = Double(batchSize) / Double(count)
        threshold = q >= 1 ? .max : UInt32((q * 0x1p32).rounded(.down))
        draws = [Float](repeating: 0, count: (count + 3) / 4 * 4)
    }

    /// The probability q with which a step includes each example.
    public var samplingRate: Double { Double(batchSize) / Double(count) }

    /// The training indices of step `step`'s batch (steps counted from 1), in increasing order.
    /// - Complexity: O(count): one Philox word per example (AVX-512, many blocks at a time).
    public func batch(step: Int) -> [Int32] {
        precondition(step >= 1 && step <= Int(UInt32.max), "PoissonBatches.batch: step \(step) outside 1...\(UInt32.max)")
        if batchSize == count { return (0..<count).map(Int32.init) }
        let counter = RandomStream(generator, .batchSampling, a: step).counter(block: 0)
        draws.withUnsafeMutableBufferPointer { out in
            thinned_philox_multipliers(generator.key.0, generator.key.1, 0, counter.1, counter.2, counter.3, threshold, 1,
                                       Int32(out.count / 4), out.baseAddress!)
        }
        var indices: [Int32] = []
        indices.reserveCapacity(batchSize + 8 * Int(Double(batchSize).squareRoot()) + 8)
        for k in 0..<count where draws[k] != 0 { indices.append(Int32(k)) }
        return indices
    }

    /// A batch size that no batch of a run exceeds in practice: the mean plus eight standard
    /// deviations (a chance below 10⁻¹⁵ per step), plus 8. A larger batch is still served (the
    /// engine grows), only later.
    public var typicalMaximum: Int {
        min(count, batchSize + Int((8 * (Double(batchSize) * (1 - samplingRate)).squareRoot()).rounded(.up)) + 8)
    }
}
