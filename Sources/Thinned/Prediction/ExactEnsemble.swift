/// The enumeration behind the true ensemble mean of a small dropout network, E_z[softmax(f(x, z))]:
/// every mask z of its droppable units (each input unit of a weight layer whose keep probability
/// is below 1), with its probability Π q^kept (1 − q)^dropped.
///
/// Mask number `m` keeps unit `e` of droppable layer `l` when bit `offset(l) + e` of `m` is set,
/// the droppable layers in order. The `Evaluator` runs each mask as one row of the engine's Float
/// forward pass (`Masks.enumerated`) — the pass that weight scaling and Monte-Carlo prediction
/// run — and sums the probabilities, weighted, in Double.
public struct ExactEnsemble: Sendable {
    /// More droppable units than this would take 2ⁿ passes per item: refused.
    public static let maximumUnits = 20

    public let model: ModelConfiguration
    /// The number of droppable units: there are 2^units masks.
    public let units: Int
    /// `offsets[l]`: the bit of layer `l`'s first unit in a mask number; nil when none of its
    /// units is dropped.
    let offsets: [Int?]

    public init(model: ModelConfiguration) {
        precondition(model.maskKind?.sharesWeights ?? true,
                     "ExactEnsemble: the masks of \(model.dropout) drop weights; only unit masks are enumerated")
        precondition(Self.droppableUnits(model) <= Self.maximumUnits,
                     "ExactEnsemble: \(Self.droppableUnits(model)) droppable units, at most \(Self.maximumUnits)")
        self.model = model
        var offsets: [Int?] = [], units = 0
        for l in 0..<model.depth {
            guard model.keepProbability(layer: l) < 1 else { offsets.append(nil); continue }
            offsets.append(units)
            units += model.layers[l]
        }
        self.offsets = offsets
        self.units = units
    }

    /// The number of units a mask can drop.
    public static func droppableUnits(_ model: ModelConfiguration) -> Int {
        (0..<model.depth).reduce(0) { sum, l in sum + (model.keepProbability(layer: l) < 1 ? model.layers[l] : 0) }
    }

    /// The number of masks, 2^units.
    public var count: Int { 1 << units }

    /// The probability of mask `mask`: q per kept unit, 1 − q per dropped one.
    public func probability(mask: Int) -> Double {
        var probability = 1.0
        for (l, offset) in offsets.enumerated() {
            guard let offset else { continue }
            let q = Double(model.keepProbability(layer: l))
            for e in 0..<model.layers[l] { probability *= mask >> (offset + e) & 1 == 1 ? q : 1 - q }
        }
        return probability
    }

    /// Which input units of layer `l` mask `mask` keeps, bit `e` for unit `e`; nil when the layer
    /// has no droppable unit.
    func keeps(mask: Int, layer l: Int) -> UInt64? {
        offsets[l].map { UInt64(mask >> $0) & (1 << UInt64(model.layers[l]) - 1) }
    }
}
