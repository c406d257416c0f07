import Foundation
@testable import Thinned

/// The exact ensemble mean in Double: every mask of the droppable units enumerated with its
/// probability, each thinned network a `ReferenceNetwork`. The oracle for the engine's exact rule,
/// which runs the same enumeration through its Float forward pass.
enum ReferenceEnsemble {
    /// The expected logits and the expected softmax probabilities of `image` over all masks.
    static func mean(model: ModelConfiguration, parameters: [Double], image: [Double])
        -> (logits: [Double], probabilities: [Double])
    {
        let droppable = (0..<model.depth).filter { model.keepProbability(layer: $0) < 1 }
        let units = droppable.reduce(0) { $0 + model.layers[$1] }
        var logits = [Double](repeating: 0, count: model.classes), probabilities = logits
        for bits in 0..<(1 << units) {
            var keeps = model.layers.dropLast().map { [Bool](repeating: true, count: $0) }
            var probability = 1.0, bit = 0
            for l in droppable {
                let q = Double(model.keepProbability(layer: l))
                for e in 0..<model.layers[l] {
                    keeps[l][e] = bits >> bit & 1 == 1
                    probability *= keeps[l][e] ? q : 1 - q
                    bit += 1
                }
            }
            let z = ReferenceNetwork(model: model, keeps: keeps).logits(parameters: parameters, image: image)
            let p = ReferenceNetwork.softmax(z)
            for j in 0..<model.classes {
                logits[j] += probability * z[j]
                probabilities[j] += probability * p[j]
            }
        }
        return (logits, probabilities)
    }
}
