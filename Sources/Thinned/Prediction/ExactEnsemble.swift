/// The enumeration behind the true ensemble mean of a small dropout network, E_z[softmax(f(x, z))]:
/// every mask z of its droppable units (each input unit of a weight layer whose keep probability
/// is below 1), with its probability Π q^kept (1 − q)^dropped.
///
/// Mask number `m` keeps unit `e` of droppable layer `l` when bit `b + e` of `m` is set, `b`
/// being the number of droppable units in the layers below `l`. The `Evaluator` runs each mask as one row of the engine's Float
/// forward pass (`Masks.enumerated`) — the pass that weight scaling and Monte-Carlo prediction
/// run — and sums the probabilities, weighted, in Double.
public struct ExactEnsemble: Sendable {
    /// More droppable units than this would take 2ⁿ passes per item: refused.
    public static let maximumUnits = 20

    /// The model whose masks are enumerated.
    public let model: ModelConfiguration
    /// The number of droppable units: there are 2^units masks.
    public let units: Int

    /// Whether the masks of `model` can be enumerated: masks over units (or none), which every
    /// sample applies to the same weights; not per-sample weight masks.
    public static func enumerates(_ model: ModelConfiguration) -> Bool { model.maskKind?.sharesWeights ?? true }

    /// The enumeration of `model`'s masks; its masks must drop units, at most `maximumUnits` of them.
    public init(model: ModelConfiguration) {
        precondition(Self.enumerates(model),
                     "ExactEnsemble: the masks of \(model.dropout) drop weights; only unit masks are enumerated")
        precondition(Self.droppableUnits(model) <= Self.maximumUnits,
                     "ExactEnsemble: \(Self.droppableUnits(model)) droppable units, at most \(Self.maximumUnits)")
        self.model = model
        self.units = Self.droppableUnits(model)
    }

    /// The number of units a mask can drop.
    public static func droppableUnits(_ model: ModelConfiguration) -> Int {
        droppableUnits(model, below: model.depth)
    }

    /// The number of masks, 2^units.
    public var count: Int { 1 << units }

    /// The probability of mask `mask`: q per kept unit, 1 − q per dropped one.
    public func probability(mask: Int) -> Double {
        var probability = 1.0
        for l in 0..<model.depth {
            guard let keeps = Self.keeps(model, mask: mask, layer: l) else { continue }
            let q = Double(model.keepProbability(layer: l))
            for e in 0..<model.layers[l] { probability *= keeps >> UInt64(e) & 1 == 1 ? q : 1 - q }
        }
        return probability
    }

    /// Which input units of layer `l` mask number `mask` of `model`'s enumeration keeps, bit `e`
    /// for unit `e`; nil when the layer has no droppable unit.
    static func keeps(_ model: ModelConfiguration, mask: Int, layer l: Int) -> UInt64? {
        guard model.keepProbability(layer: l) < 1 else { return nil }
        return UInt64(mask >> droppableUnits(model, below: l)) & (1 << UInt64(model.layers[l]) - 1)
    }

    /// The droppable units of the layers below layer `l`: the bit of layer `l`'s first unit.
    private static func droppableUnits(_ model: ModelConfiguration, below l: Int) -> Int {
        (0..<l).reduce(0) { sum, k in sum + (model.keepProbability(layer: k) < 1 ? model.layers[k] : 0) }
    }
}
