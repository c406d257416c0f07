import Parallel
@testable import Thinned

/// Small models and data for the engine's tests.
enum Fixture {
    static let model = ModelConfiguration(layers: [7, 6, 5, 4], dropout: .inverted, inputDropRate: 0.2,
                                          hiddenDropRate: 0.5, initialization: .xavier)
    static let data = DataSplit.synthetic(features: 7, classes: 4, trainCount: 64, testCount: 16, seed: 3)

    /// Runs `body` with the engine's view of a batch of `data.train` at `indices`.
    static func withBatch<R>(_ data: Dataset, _ indices: [Int32], step: Int, _ body: (Network.Batch) -> R) -> R {
        data.images.withUnsafeBufferPointer { images in
            data.labels.withUnsafeBufferPointer { labels in
                indices.withUnsafeBufferPointer { indices in
                    body(Network.Batch(images: images.baseAddress!, labels: labels.baseAddress!,
                                       indices: indices.baseAddress!, count: indices.count, step: step))
                }
            }
        }
    }

    /// A pool of `threads` workers placed by `bind` (oversubscribing this machine when needed).
    static func pool(threads: Int, bind: BindPolicy) throws -> WorkerPool {
        try WorkerPool.start(threads: threads, bind: bind, places: .cores, oversubscribe: true).pool
    }
}

/// The loss of one sample through its thinned network, in Double, written from eq. 5.35 with no
/// code shared with the engine except the mask draws: the oracle for gradient checks.
struct ReferenceNetwork {
    let model: ModelConfiguration
    let layout: ParameterLayout
    /// keeps[l][e]: whether input unit e of layer l is kept for this sample.
    let keeps: [[Bool]]
    /// weightKeeps[l][o · inputs + i]: whether weight (o, i) of layer l is kept (DropConnect).
    let weightKeeps: [[Bool]]

    init(model: ModelConfiguration, seed: UInt64, step: Int, sample: Int) {
        self.model = model
        self.layout = ParameterLayout(widths: model.layers)
        self.keeps = (0..<model.depth).map { l in
            DropoutMask(model, generator: Philox(seed: seed), step: step, sample: sample, layer: l)
                .keeps(count: model.layers[l])
        }
        let q = model.connectionKeepProbability
        self.weightKeeps = layout.layers.enumerated().map { l, layer in
            DropoutMask(generator: Philox(seed: seed), step: step, sample: sample, layer: l, keepProbability: q, scale: 1 / q)
                .keeps(count: layer.inputs * layer.outputs)
        }
    }

    func loss(parameters theta: [Double], image x: [Double], label: Int) -> Double {
        var input = x
        let connectionScale = 1 / Double(model.connectionKeepProbability)
        for (l, layer) in layout.layers.enumerated() {
            let scale = Double(model.trainingScale(layer: l))
            let masked = input.enumerated().map { keeps[l][$0.offset] ? $0.element * scale : 0 }
            var s = [Double](repeating: 0, count: layer.outputs)
            for o in 0..<layer.outputs {
                var sum = theta[layer.bias.lowerBound + o]
                for i in 0..<layer.inputs {
                    var w = theta[layer.weights.lowerBound + o * layer.inputs + i]
                    if model.dropout == .dropconnect { w = weightKeeps[l][o * layer.inputs + i] ? w * connectionScale : 0 }
                    sum += w * masked[i]
                }
                s[o] = sum
            }
            if l == model.depth - 1 {
                let top = s.max()!
                return Foundation.log(s.map { Foundation.exp($0 - top) }.reduce(0, +)) + top - s[label]
            }
            input = s.map { max($0, 0) }
        }
        fatalError("unreachable")
    }
}

import Foundation
