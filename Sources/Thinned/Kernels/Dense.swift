import CKernels

/// The kernels of a fully connected layer over a block of samples, on flat row-major buffers
/// (a layer is a forward/backward pair of plain functions, as in llm.c).
///
/// Shapes: `x: [rows, inputs]` (the masked input z̃), `w: [outputs, inputs]`, `b: [outputs]`,
/// `y, dy: [rows, outputs]`, `dx: [rows, inputs]`.
public enum Dense {
    /// `y[:, o] ← x · w[o, :]ᵀ` for `o ∈ outputRange` (default: all), over `rows` samples (the bias
    /// is added by the fused pass that follows). `y` points at the whole `[rows, outputs]` block.
    /// - Complexity: 2 · rows · inputs · outputRange.count flops, in one `sgemm`.
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               rows: Int, inputs: Int, outputs: Int, outputRange: Range<Int>? = nil) {
        let o = outputRange ?? 0..<outputs
        BLAS.gemm(transposeB: true, m: rows, n: o.count, k: inputs, a: x, lda: inputs, b: w + o.lowerBound * inputs,
                  ldb: inputs, c: y + o.lowerBound, ldc: outputs)
    }

    /// `dx[:, i] ← dy · w[:, i]` for `i ∈ inputRange` (default: all): the gradient with respect to
    /// the layer's (masked) input. `dx` points at the whole `[rows, inputs]` block.
    /// - Complexity: 2 · rows · inputRange.count · outputs flops, in one `sgemm`.
    public static func backwardInput(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                     rows: Int, inputs: Int, outputs: Int, inputRange: Range<Int>? = nil) {
        let i = inputRange ?? 0..<inputs
        BLAS.gemm(m: rows, n: i.count, k: outputs, a: dy, lda: outputs, b: w + i.lowerBound, ldb: inputs,
                  c: dx + i.lowerBound, ldc: inputs)
    }

    /// `tile[o − o₀, i − i₀] ← alpha · Σ_r dy[r, o] · x[r, i]` for the tile `o ∈ outputRange`,
    /// `i ∈ inputRange` (starting at `o₀`, `i₀`), over all `rows` samples: the sum of the samples'
    /// outer products δᵣ z̃ᵣᵀ, one `sgemm` per `rowsPerProduct` samples, each added to the tile in
    /// order (the first one overwrites it). `tile` points at the tile's first element, whose
    /// rows are `leading` floats apart: `inputs` for a tile inside the whole `[outputs, inputs]`
    /// matrix, or the tile's own width for a tile on its own.
    public static func weightGradient(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                                      outputRange: Range<Int>, inputRange: Range<Int>, alpha: Float,
                                      into tile: UnsafeMutablePointer<Float>, leading: Int, rowsPerProduct: Int) {
        precondition(rowsPerProduct >= 1, "Dense.weightGradient: \(rowsPerProduct) rows per product")
        // No rows (an empty Poisson batch): a sum of nothing.
        if rows == 0 { for o in 0..<outputRange.count { (tile + o * leading).update(repeating: 0, count: inputRange.count) } }
        var first = 0
        while first < rows {
            let count = min(rowsPerProduct, rows - first)
            BLAS.gemm(transposeA: true, m: outputRange.count, n: inputRange.count, k: count, alpha: alpha,
                      a: dy + first * outputs + outputRange.lowerBound, lda: outputs,
                      b: x + first * inputs + inputRange.lowerBound, ldb: inputs, beta: first == 0 ? 0 : 1, c: tile, ldc: leading)
            first += count
        }
    }

    /// `db[o − o₀] ← alpha · Σ_r dy[r, o]` for `o ∈ outputRange` (starting at `o₀`), summing samples
    /// in order from 0, then one multiplication (`CKernels`: 64 columns' sums in registers where
    /// the CPU has AVX-512).
    public static func biasGradient(dy: UnsafePointer<Float>, rows: Int, outputs: Int, outputRange: Range<Int>, alpha: Float,
                                    into db: UnsafeMutablePointer<Float>) {
        thinned_bias_gradient(dy + outputRange.lowerBound, rows, outputs, Int32(outputRange.count), alpha, db)
    }

    /// Backward through the mask and the ReLU that produced `xMasked = relu(s) ⊙ m · scale`:
    /// `d[e] ← xMasked[e] > 0 ? d[e] · scale : 0`. A unit passes gradient exactly when it was
    /// kept and active, and then `xMasked > 0`, so the mask never has to be stored.
    public static func maskedReLUBackward(d: UnsafeMutablePointer<Float>, xMasked: UnsafePointer<Float>,
                                          count: Int, scale: Float) {
        thinned_masked_relu_backward(d, xMasked, Int32(count), scale)
    }
}
