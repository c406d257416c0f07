/// The fixed tiles of the fused step, chosen from the batch size, the shard size and the layer
/// widths — never from the thread count, so every element is computed by the same call of the
/// same shape however many workers run (the determinism contract).
///
/// The sizes are those that OpenBLAS's AVX-512 small-matrix kernels take (issue 11's
/// measurements, DESIGN.md, "The training step"): `cblas_sgemm` skips packing when the
/// product has at most 10⁶ multiply-adds (`smallProduct`), and, for the transposition of the
/// forward product, when its result also has at most 1200 elements (`smallForwardResult`).
/// On the development VM (Sapphire Rapids, OpenBLAS 0.3.21) those kernels ran 130–167 GFLOP/s
/// on these tiles, against 55–70 for a 25 × 64 × 512 forward tile one 16-unit step past the limit
/// and 117–122 for a whole layer's product; on a CPU without them the tiles are only a
/// reasonable size.
///
/// - A forward tile is `tileRows` samples (a shard, or half of one in a narrow plan) × the
///   widest multiple of 16 units, up to 128, that keeps a whole shard's tile on the small path
///   (whole Philox blocks of 4 units; 48 for the reference model at 25 rows).
/// - A delta tile is `tileRows` samples × the widest such multiple of 16 whose product is small
///   at a whole shard (64 at 25 rows and a depth of 512).
/// - A weight-gradient tile is `gradientOutputs × gradientInputs` (64 × 128, or 32 × 128 in a
///   narrow plan), summed over the batch's samples in chunks of `gradientRows` (one small
///   product each, accumulated in order), so that a batch of 1000 stays on the small path too.
struct TilePlan: Equatable {
    /// The largest product OpenBLAS's small-matrix kernels take: 10⁶ multiply-adds.
    static let smallProduct = 1_000_000
    /// The largest forward result (`rows × columns`) they take for its transposition.
    static let smallForwardResult = 1200
    /// Tiles are multiples of this many units, from one multiple to `maximumColumns`.
    static let columnStep = 16
    /// The widest forward or delta tile.
    static let maximumColumns = 128
    /// Weight-gradient tiles are at most this many outputs × inputs (`narrowGradientOutputs`
    /// outputs in a narrow plan).
    static let maximumGradientOutputs = 64
    static let gradientInputs = 128
    /// A batch of at most this many shards gets the *narrow* plan. Its fork–joins would otherwise
    /// hold few tasks (44 for each forward layer of the reference model at batch 100), each long
    /// beside the step (13–19 µs of a 6.6 ms step), so the step's span — the sum of every
    /// fork–join's longest task — would bound a big server (issue 11, item 4). A narrow plan
    /// halves each task: forward and delta tiles of half a shard (rounded up) with the columns
    /// the whole shard would get, and gradient tiles of `narrowGradientOutputs` outputs. On the
    /// development VM, in eight alternating rounds against whole-shard tiles, the one-worker step
    /// at batch 100 took 1.009 times as long (median; work T₁ 1.004) and the parallelism T₁/T∞
    /// rose from 31.5 to 44.9 (medians; higher in every round), with the same bits
    /// (`Benchmarks/results/scale-2core/narrow-final-ab`); halving the columns instead cost
    /// 3.7–7.1 % more work (`tiles-ab`). A larger batch has tasks enough and keeps whole shards,
    /// which stream each block of weights half as often.
    static let narrowShards = 4
    /// The outputs of a narrow plan's gradient tiles.
    static let narrowGradientOutputs = 32
    /// Samples per weight-gradient product: at most 64 × 128 × 100 multiply-adds, a small product.
    static let gradientRows = 100
    /// The forward and delta tasks of a phase are listed by groups of this many shards (200
    /// samples at the default shard of 25), each group column block by column block, so that a
    /// group's rows and a block of weights stay in cache together: at batch 1000, where the
    /// 784-wide inputs of all rows (3.1 MB) outgrow a core's L2, the layer-0 forward tiles ran
    /// 91–108 GFLOP/s (median of 30) in groups of 8 shards against 83–92 column block by column
    /// block over all rows (development VM, issue 11). Order only: every tile is the same call.
    static let groupShards = 8

    /// The configuration's shard size, by which the forward and delta tiles' columns are chosen.
    let rows: Int
    /// `forwardColumns[l]`: the units of layer `l`'s output per forward tile (hidden layers).
    let forwardColumns: [Int]
    /// `deltaColumns[l]`: for `l ≥ 1`, the units of layer `l − 1`'s output per tile of the deltas
    /// computed from layer `l`; `deltaColumns[0]` is unused (0).
    let deltaColumns: [Int]
    /// Whether the batch is small enough for the narrow plan (`narrowShards`).
    let narrow: Bool
    /// The outputs of a weight-gradient tile (its inputs: `gradientInputs`).
    var gradientOutputs: Int { narrow ? Self.narrowGradientOutputs : Self.maximumGradientOutputs }
    /// Samples per forward and delta tile: a shard, or in a narrow plan half a shard, rounded up
    /// (a shard's second tile takes the rest).
    var tileRows: Int { narrow ? (rows + 1) / 2 : rows }

    /// The plan for a model of these widths (input first) at shards of `rows` samples, for batches
    /// of `batch` samples (the expected size, under Poisson sampling).
    init(widths: [Int], rows: Int, batch: Int) {
        precondition(widths.count >= 2 && rows >= 1 && batch >= 0, "TilePlan: widths \(widths), rows \(rows), batch \(batch)")
        self.rows = rows
        narrow = batch <= Self.narrowShards * rows
        // Layer l multiplies by a depth of widths[l] for its forward product and widths[l + 1]
        // (its outputs) for the deltas below it.
        forwardColumns = (0..<(widths.count - 1)).map {
            Self.columns(rows: rows, depth: widths[$0], resultLimit: Self.smallForwardResult)
        }
        deltaColumns = (0..<(widths.count - 1)).map {
            $0 == 0 ? 0 : Self.columns(rows: rows, depth: widths[$0 + 1], resultLimit: .max)
        }
    }

    /// The widest multiple of `columnStep`, up to `maximumColumns`, for which `rows` × columns ×
    /// `depth` is a small product and `rows` × columns at most `resultLimit` (or `columnStep`).
    static func columns(rows: Int, depth: Int, resultLimit: Int) -> Int {
        var columns = maximumColumns
        while columns > columnStep
            && (rows * columns * depth > smallProduct || rows * columns > resultLimit) { columns -= columnStep }
        return columns
    }
}
