/// The fixed tiles of the fused step, chosen from the batch size, the shard size and the layer
/// widths — never from the thread count, so every element is computed by the same call of the
/// same shape however many workers run (the determinism contract).
///
/// A forward or delta tile is `rows` samples × some units of one layer: as many units as keep the
/// tile's product at most `tileMultiplyAdds` (a power of two from `minimumColumns` to
/// `maximumColumns`). Small tiles give a phase many tasks (at batch 100 and the reference model,
/// 32 to 88 in every phase but the three cheap ones — the images, the output layer and the deltas
/// from it, with 10 to 16), and on OpenBLAS's AVX-512 kernels a
/// product of at most ~10⁶ multiply-adds runs on its small-matrix path, which measured faster
/// per flop than the whole layer's product on the development VM (148 against 130 GFLOP/s for
/// 25 × 32 × 784 and 25 × 64 × 512; issue 11's library measurements, DESIGN.md).
struct TilePlan: Equatable {
    /// The largest product a forward or delta tile is sized to: 2²⁰ multiply-adds.
    static let tileMultiplyAdds = 1 << 20
    /// The narrowest tile: whole Philox blocks (4 units) and enough columns for a GEMM kernel.
    static let minimumColumns = 32
    /// The widest tile.
    static let maximumColumns = 128
    /// Weight-gradient tiles are this many outputs × inputs, at every batch size (each one GEMM
    /// over the whole batch).
    static let gradientOutputs = 64
    static let gradientInputs = 128

    /// Samples per forward and delta tile (the configuration's shard size).
    let rows: Int
    /// `forwardColumns[l]`: the units of layer `l`'s output per forward tile (hidden layers).
    let forwardColumns: [Int]
    /// `deltaColumns[l]`: for `l ≥ 1`, the units of layer `l − 1`'s output per tile of the deltas
    /// computed from layer `l`; `deltaColumns[0]` is unused (0).
    let deltaColumns: [Int]

    /// The plan for a model of these widths (input first) at `rows` samples per tile.
    init(widths: [Int], rows: Int) {
        precondition(widths.count >= 2 && rows >= 1, "TilePlan: widths \(widths), rows \(rows)")
        self.rows = rows
        // Layer l multiplies by a depth of widths[l] for its forward product and widths[l + 1]
        // (its outputs) for the deltas below it.
        forwardColumns = (0..<(widths.count - 1)).map { Self.columns(rows: rows, depth: widths[$0]) }
        deltaColumns = (0..<(widths.count - 1)).map { $0 == 0 ? 0 : Self.columns(rows: rows, depth: widths[$0 + 1]) }
    }

    /// The widest power-of-two tile, from `minimumColumns` to `maximumColumns`, whose product of
    /// `rows` × columns × `depth` multiply-adds is at most `tileMultiplyAdds` (or the narrowest).
    static func columns(rows: Int, depth: Int) -> Int {
        var columns = maximumColumns
        while columns > minimumColumns && rows * columns * depth > tileMultiplyAdds { columns /= 2 }
        return columns
    }
}
