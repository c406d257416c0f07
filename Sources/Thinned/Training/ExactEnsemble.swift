/// The true ensemble mean of a small dropout network, E_z[f(x, z)], by enumerating every mask z
/// of its droppable units (each input unit when p_input > 0, each hidden unit when p_hidden > 0)
/// with its probability Π q^kept (1 − q)^dropped. Plain loops in Double: a reference, for tiny nets.
public struct ExactEnsemble: Sendable {
    /// More droppable units than this would take 2ⁿ passes per item: refused.
    public static let maximumUnits = 20

    public let model: ModelConfiguration
    public let parameters: [Double]
    let layout: ParameterLayout

    public init(model: ModelConfiguration, parameters: [Float]) {
        precondition(Self.droppableUnits(model) <= Self.maximumUnits,
                     "ExactEnsemble: \(Self.droppableUnits(model)) droppable units, at most \(Self.maximumUnits)")
        self.model = model
        self.parameters = parameters.map(Double.init)
        self.layout = ParameterLayout(widths: model.layers)
    }

    /// The number of units a mask can drop.
    public static func droppableUnits(_ model: ModelConfiguration) -> Int {
        guard model.dropout != .none else { return 0 }
        return (0..<model.depth).reduce(0) { sum, l in sum + (model.keepProbability(layer: l) < 1 ? model.layers[l] : 0) }
    }

    /// The expected logits and the expected softmax probabilities over all masks.
    public func mean(image: [Double]) -> (logits: [Double], probabilities: [Double]) {
        let droppable = (0..<model.depth).filter { model.keepProbability(layer: $0) < 1 && model.dropout != .none }
        let units = droppable.reduce(0) { $0 + model.layers[$1] }
        var logits = [Double](repeating: 0, count: model.classes), probabilities = logits
        for bits in 0..<(1 << units) {
            var keeps = model.layers.dropLast().map { [Bool](repeating: true, count: $0) }
            var probability = 1.0, bit = 0
            for l in droppable {
                let q = Double(model.keepProbability(layer: l))
                for e in 0..<model.layers[l] {
                    let kept = bits >> bit & 1 == 1
                    keeps[l][e] = kept
                    probability *= kept ? q : 1 - q
                    bit += 1
                }
            }
            let z = forward(image: image, keeps: keeps)
            let top = z.max()!
            let exps = z.map { Foundation.exp($0 - top) }
            let sum = exps.reduce(0, +)
            for j in 0..<model.classes {
                logits[j] += probability * z[j]
                probabilities[j] += probability * exps[j] / sum
            }
        }
        return (logits, probabilities)
    }

    public func mean(image: [Float]) -> (logits: [Double], probabilities: [Double]) { mean(image: image.map(Double.init)) }

    /// The logits of the thinned network `keeps` (inputs of each layer), training scale applied.
    public func forward(image: [Double], keeps: [[Bool]]) -> [Double] {
        logits(image: image, keeps: keeps) { Double(model.trainingScale(layer: $0)) }
    }

    /// The logits of the weight-scaling rule: no mask, each layer's input × its prediction scale.
    public func weightScaled(image: [Double]) -> [Double] {
        logits(image: image, keeps: nil) { Double(model.predictionScale(layer: $0)) }
    }

    private func logits(image: [Double], keeps: [[Bool]]?, scale: (Int) -> Double) -> [Double] {
        var input = image
        for (l, layer) in layout.layers.enumerated() {
            let factor = scale(l)
            var output = [Double](repeating: 0, count: layer.outputs)
            for o in 0..<layer.outputs {
                var s = parameters[layer.bias.lowerBound + o]
                for i in 0..<layer.inputs where keeps?[l][i] ?? true {
                    s += parameters[layer.weights.lowerBound + o * layer.inputs + i] * input[i] * factor
                }
                output[o] = s
            }
            input = l < model.depth - 1 ? output.map { max($0, 0) } : output
        }
        return input
    }
}

import Foundation
