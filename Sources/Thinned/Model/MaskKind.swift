/// What a model's dropout masks drop: the one choice that the training step, the forward pass,
/// prediction and the command line consult about masks, so that another kind of mask is one
/// new case here (and the compiler lists every `switch` that must answer for it).
public enum MaskKind: Sendable, Equatable {
    /// Units (dropout, eq. 5.35): each sample's mask drops inputs of every weight layer, at rate
    /// p_input for the first and p_hidden for the others.
    case units
    /// Weights (DropConnect, Wan et al., ICML 2013): each sample's mask drops weights of every
    /// layer, at rate p_hidden; no unit is dropped.
    case weights

    /// Whether the samples of a batch share every layer's weights, so that a batch's products are
    /// single GEMMs (the fused step). Otherwise each sample multiplies by its own masked weights,
    /// one sample at a time (the literal step), and its masks are not enumerated for the exact
    /// ensemble mean.
    public var sharesWeights: Bool {
        switch self {
        case .units: true
        case .weights: false
        }
    }
}
