/// The activations and deltas of a block of samples, one flat buffer per layer, allocated once.
///
/// `activations[l]: [rows, widths[l]]` is the masked input z̃ of weight layer `l` (for `l = 0` the
/// masked image); `deltas[l]: [rows, widths[l + 1]]` holds the pre-activation output of layer `l`
/// during forward (the logits for the last layer) and ∂loss/∂s for it during backward.
final class Workspace {
    let rows: Int
    let activations: [UnsafeMutablePointer<Float>]
    let deltas: [UnsafeMutablePointer<Float>]
    /// `losses[r]`: the loss of the sample in row `r`.
    let losses: UnsafeMutablePointer<Float>
    /// One row of the widest layer: DropConnect's mask multipliers.
    let scratch: UnsafeMutablePointer<Float>

    /// Zero-filled by the calling thread, unless `zeroed` is false: then the activations, deltas
    /// and losses are left untouched for their owner to first-touch (every element must be
    /// written before it is read; `scratch` is zeroed either way).
    init(widths: [Int], rows: Int, zeroed: Bool = true) {
        self.rows = rows
        activations = widths.dropLast().map { Self.allocate(rows * $0, zeroed: zeroed) }
        deltas = widths.dropFirst().map { Self.allocate(rows * $0, zeroed: zeroed) }
        losses = Self.allocate(rows, zeroed: zeroed)
        scratch = Self.allocate(widths.max() ?? 1, zeroed: true)
    }

    deinit {
        for buffer in activations + deltas + [losses, scratch] { buffer.deallocate() }
    }

    private static func allocate(_ count: Int, zeroed: Bool) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
        if zeroed { buffer.initialize(repeating: 0, count: max(1, count)) }
        return buffer
    }
}
