/// The buffers of a forward and a backward pass over a block of samples, one flat row-major
/// buffer per layer, allocated once.
///
/// - `inputs[l]: [rows, widths[l]]`, for every weight layer `l`: z̃ₗ, its masked input. For
///   `l = 0` the masked images; for `l ≥ 1` the product of layer `l − 1` writes its
///   pre-activation here, and the fused pass replaces it in place by z̃ₗ = mask ⊙ ReLU(· + b).
/// - `deltas[l]: [rows, widths[l + 1]]`, for every hidden layer `l` (all but the output layer):
///   ∂loss/∂sₗ, the gradient with respect to its pre-activation, written by backward.
/// - `outputs: [rows, classes]`: the output layer's logits, which the softmax replaces in place
///   by ∂loss/∂logits (training: the output layer's delta) or by the probabilities (prediction).
final class Workspace {
    let rows: Int
    let inputs: [UnsafeMutablePointer<Float>]
    let deltas: [UnsafeMutablePointer<Float>]
    let outputs: UnsafeMutablePointer<Float>
    /// `losses[r]`: the loss of the sample in row `r`.
    let losses: UnsafeMutablePointer<Float>
    /// One row of the widest layer: DropConnect's mask multipliers.
    let scratch: UnsafeMutablePointer<Float>

    /// Zero-filled by the calling thread, unless `zeroed` is false: then the inputs, deltas,
    /// outputs and losses are left untouched for their owner to first-touch (every element must
    /// be written before it is read; `scratch` is zeroed either way).
    init(widths: [Int], rows: Int, zeroed: Bool = true) {
        self.rows = rows
        inputs = widths.dropLast().map { Self.allocate(rows * $0, zeroed: zeroed) }
        deltas = widths.dropFirst().dropLast().map { Self.allocate(rows * $0, zeroed: zeroed) }
        outputs = Self.allocate(rows * (widths.last ?? 1), zeroed: zeroed)
        losses = Self.allocate(rows, zeroed: zeroed)
        scratch = Self.allocate(widths.max() ?? 1, zeroed: true)
    }

    deinit {
        for buffer in inputs + deltas + [outputs, losses, scratch] { buffer.deallocate() }
    }

    /// ∂loss/∂sₗ of weight layer `l` during backward: `deltas[l]` below the output layer, and
    /// `outputs` (by then ∂loss/∂logits) at it.
    func delta(layer l: Int) -> UnsafeMutablePointer<Float> {
        l < deltas.count ? deltas[l] : outputs
    }

    private static func allocate(_ count: Int, zeroed: Bool) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
        if zeroed { buffer.initialize(repeating: 0, count: max(1, count)) }
        return buffer
    }
}
