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

    init(widths: [Int], rows: Int) {
        self.rows = rows
        activations = widths.dropLast().map { Self.allocate(rows * $0) }
        deltas = widths.dropFirst().map { Self.allocate(rows * $0) }
        losses = Self.allocate(rows)
        scratch = Self.allocate(widths.max() ?? 1)
    }

    deinit {
        for buffer in activations + deltas + [losses, scratch] { buffer.deallocate() }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
        buffer.initialize(repeating: 0, count: max(1, count))
        return buffer
    }
}
