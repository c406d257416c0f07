/// What the units of one row are multiplied by on their way into a weight layer: a dropout mask
/// drawn from its stream, an enumerated mask, or one scale for every unit.
///
/// A forward pass decides it once per row and layer (`Network.unitMask`); each method switches
/// on it once and runs the masking loop specialised for it (`MaskBlocks`).
enum UnitMask {
    /// No mask: every unit multiplied by `scale` (weight scaling's prediction scale; 1 for a
    /// model whose masks drop no unit).
    case scale(Float)
    /// A mask drawn from its stream (training's, or a Monte-Carlo pass's).
    case drawn(DropoutMask)
    /// An enumerated mask (the exact ensemble mean's): unit `e` kept when bit `e` of `keeps` is
    /// set, kept units multiplied by `scale`.
    case given(keeps: UInt64, scale: Float)

    /// `y[e] ← x[e] · m[e]` for `e` in `0 ..< count` (`x` may be `y`).
    func apply(from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case let .scale(scale):
            // x · 1 is x: a copy at most.
            if scale != 1 {
                ScaleBlocks(scale: scale).apply(from: x, to: y, count: count)
            } else if UnsafePointer(y) != x {
                y.update(from: x, count: count)
            }
        case let .drawn(mask):
            mask.apply(from: x, to: y, count: count)
        case let .given(keeps, scale):
            GivenBlocks(keeps: keeps, scale: scale).apply(from: x, to: y, count: count)
        }
    }

    /// The fused hidden-layer pass over the units `units` of a row: `z[e] ← r(z[e] + b[e]) · m[e]` with
    /// `r(s) = s < 0 ? 0 : s`.
    /// `units` must start at a multiple of 4.
    func applyBiasReLU(to z: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>, units: Range<Int>) {
        switch self {
        case let .scale(scale):
            ScaleBlocks(scale: scale).applyBiasReLU(to: z, bias: b, units: units)
        case let .drawn(mask):
            mask.applyBiasReLU(to: z, bias: b, units: units)
        case let .given(keeps, scale):
            GivenBlocks(keeps: keeps, scale: scale).applyBiasReLU(to: z, bias: b, units: units)
        }
    }
}
