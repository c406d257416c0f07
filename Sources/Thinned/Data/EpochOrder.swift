/// The order in which an epoch visits the training set: a Fisher–Yates shuffle drawn from the
/// stream (shuffle, epoch), cut into full batches (the last partial batch is dropped, as the
/// reference run does).
public struct EpochOrder: Sendable {
    /// Every training index 0 ..< count, once each, in the shuffled order.
    public let indices: [Int32]
    /// Samples per batch.
    public let batchSize: Int

    /// The order of `epoch` for `count` samples in batches of `batchSize` (1 ... `count`) under `seed`.
    public init(count: Int, batchSize: Int, epoch: Int, seed: UInt64) {
        precondition(batchSize >= 1 && batchSize <= count, "EpochOrder: batch size \(batchSize) outside 1...\(count)")
        var indices = (0..<count).map(Int32.init)
        var stream = RandomStream(Philox(seed: seed), .shuffle, a: epoch)
        for i in stride(from: count - 1, to: 0, by: -1) {
            indices.swapAt(i, stream.nextInt(below: i + 1))
        }
        self.indices = indices
        self.batchSize = batchSize
    }

    /// The number of full batches.
    public var batches: Int { indices.count / batchSize }

    /// The dataset indices of batch `index`.
    public func batch(_ index: Int) -> ArraySlice<Int32> {
        precondition((0..<batches).contains(index), "EpochOrder.batch: \(index) outside 0..<\(batches)")
        return indices[index * batchSize ..< (index + 1) * batchSize]
    }
}
