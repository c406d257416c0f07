/// How the per-sample gradients are computed and averaged.
public enum GradientMode: String, CaseIterable, Sendable, Codable {
    /// The plan of record: fixed sample shards with GEMMs, weight gradients over fixed tiles
    /// summed over the batch, no per-worker copies, no allocation in steady state.
    case fused
    /// The reference: every ∇ᵢ materialised, then averaged in sample order.
    case literal
}
