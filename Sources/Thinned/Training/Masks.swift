/// Which masks a forward pass applies: the one parameter that makes the same pass serve
/// training, every prediction rule and the exact ensemble mean.
///
/// `Network` resolves it for each layer and row into what the fused pass multiplies the units by
/// (`unitMask`) and, for a model whose masks drop weights, the row's own weight mask
/// (`weightMask`). Drawn masks are a pure function of (seed, purpose, step or pass, the sample's
/// batch position, layer), so any block of rows, on any worker, gets the same ones.
enum Masks: Sendable {
    /// Training's: each sample's masks for step `step`, drawn from its batch position.
    case training(step: Int)
    /// Monte-Carlo prediction's pass `pass`: drawn as training's are, from purpose `inference`,
    /// with the item's index in the data set as its position.
    case monteCarlo(pass: Int)
    /// None: every layer's input multiplied by its prediction scale (weight scaling).
    case weightScaling
    /// The exact ensemble mean's: the sample at batch position `p` carries mask number
    /// `first + p` of the model's enumeration (`ExactEnsemble`).
    case enumerated(first: Int)

    /// The stream of drawn masks — their purpose, and the step or pass — or nil for masks that
    /// are not drawn.
    var stream: (purpose: RandomPurpose, step: Int)? {
        switch self {
        case let .training(step): (.dropoutMask, step)
        case let .monteCarlo(pass): (.inference, pass)
        case .weightScaling, .enumerated: nil
        }
    }
}
