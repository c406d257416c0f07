/// The kernels of one sample through a fully connected layer whose weights carry the sample's
/// own DropConnect mask: `y = (w ⊙ m / q) x + b` (no mask on the bias) (Wan et al., ICML 2013).
///
/// Weight `w[o, i]` has mask unit `o · inputs + i` of the sample's `DropoutMask` for the layer,
/// whose `scale` is 1/q (kept) — so `multiplier = m / q`. The mask is drawn a row at a time, in
/// forward and again in backward, never stored. Plain loops (no BLAS): every sample multiplies by
/// a different matrix. Shapes: `w: [outputs, inputs]` row-major, `x, dx: [inputs]`, `y, dy: [outputs]`.
enum DropConnect {
    /// `y ← (w ⊙ mask) x` (the bias is added by the pass that follows). `row` is scratch for
    /// `inputs` multipliers.
    static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        inputs: Int, outputs: Int, mask: DropoutMask, row: UnsafeMutablePointer<Float>) {
        for o in 0..<outputs {
            mask.multipliers(units: (o * inputs)..<((o + 1) * inputs), into: row)
            let wo = w + o * inputs
            var sum: Float = 0
            for i in 0..<inputs { sum += wo[i] * row[i] * x[i] }
            y[o] = sum
        }
    }

    /// `dx ← (w ⊙ mask)ᵀ dy` (when `dx` is given) and `dw ← dy xᵀ ⊙ mask`, `db ← dy`.
    static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
                         inputs: Int, outputs: Int, mask: DropoutMask, row: UnsafeMutablePointer<Float>) {
        if let dx { for i in 0..<inputs { dx[i] = 0 } }
        for o in 0..<outputs {
            mask.multipliers(units: (o * inputs)..<((o + 1) * inputs), into: row)
            let d = dy[o], wo = w + o * inputs, dwo = dw + o * inputs
            for i in 0..<inputs { dwo[i] = d * x[i] * row[i] }
            if let dx { for i in 0..<inputs { dx[i] += d * wo[i] * row[i] } }
            db[o] = d
        }
    }
}
