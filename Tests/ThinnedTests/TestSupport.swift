import Foundation
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
                                       indices: indices.baseAddress!, count: indices.count, masks: .training(step: step)))
                }
            }
        }
    }

    /// A pool of `threads` workers placed by `bind` (oversubscribing this machine when needed).
    static func pool(threads: Int, bind: BindPolicy) throws -> WorkerPool {
        try WorkerPool.start(threads: threads, bind: bind, places: .cores, oversubscribe: true).pool
    }
}

/// One sample's thinned network in Double, written from eq. 5.35 with no code shared with the
/// engine except the mask draws: the oracle for gradient checks and for the prediction rules.
struct ReferenceNetwork {
    let model: ModelConfiguration
    let layout: ParameterLayout
    /// keeps[l][e]: whether input unit e of layer l is kept for this sample.
    let keeps: [[Bool]]
    /// weightKeeps[l][o · inputs + i]: whether weight (o, i) of layer l is kept, kept weights
    /// multiplied by 1/q (DropConnect); nil when the weights are not masked.
    let weightKeeps: [[Bool]]?
    /// scales[l]: what a kept input unit of layer l is multiplied by.
    let scales: [Double]

    /// The network of the sample at `sample` of step `step`: its masks drawn from the seed, for
    /// training (or, with purpose `inference`, for Monte-Carlo pass `step`).
    init(model: ModelConfiguration, seed: UInt64, step: Int, sample: Int, purpose: RandomPurpose = .dropoutMask) {
        let layout = ParameterLayout(widths: model.layers)
        let q = model.connectionKeepProbability
        self.init(model: model, keeps: (0..<model.depth).map { l in
            DropoutMask(model, generator: Philox(seed: seed), purpose: purpose, step: step, sample: sample, layer: l)
                .keeps(count: model.layers[l])
        }, weightKeeps: model.maskKind != .weights ? nil : layout.layers.enumerated().map { l, layer in
            DropoutMask(generator: Philox(seed: seed), purpose: purpose, step: step, sample: sample, layer: l,
                        keepProbability: q, scale: 1 / q)
                .keeps(count: layer.inputs * layer.outputs)
        }, scales: (0..<model.depth).map { Double(model.trainingScale(layer: $0)) })
    }

    /// The thinned network that keeps the input units `keeps` (one mask of the exact ensemble),
    /// kept units multiplied by the training scale.
    init(model: ModelConfiguration, keeps: [[Bool]]) {
        self.init(model: model, keeps: keeps, weightKeeps: nil, scales: (0..<model.depth).map { Double(model.trainingScale(layer: $0)) })
    }

    /// The network of weight scaling: nothing dropped, every layer's input multiplied by its
    /// prediction scale.
    static func weightScaled(_ model: ModelConfiguration) -> ReferenceNetwork {
        ReferenceNetwork(model: model, keeps: model.layers.dropLast().map { [Bool](repeating: true, count: $0) },
                         weightKeeps: nil, scales: (0..<model.depth).map { Double(model.predictionScale(layer: $0)) })
    }

    private init(model: ModelConfiguration, keeps: [[Bool]], weightKeeps: [[Bool]]?, scales: [Double]) {
        self.model = model
        self.layout = ParameterLayout(widths: model.layers)
        self.keeps = keeps
        self.weightKeeps = weightKeeps
        self.scales = scales
    }

    func logits(parameters theta: [Double], image x: [Double]) -> [Double] {
        var input = x
        let connectionScale = 1 / Double(model.connectionKeepProbability)
        for (l, layer) in layout.layers.enumerated() {
            let masked = input.enumerated().map { keeps[l][$0.offset] ? $0.element * scales[l] : 0 }
            var s = [Double](repeating: 0, count: layer.outputs)
            for o in 0..<layer.outputs {
                var sum = theta[layer.bias.lowerBound + o]
                for i in 0..<layer.inputs {
                    var w = theta[layer.weights.lowerBound + o * layer.inputs + i]
                    if let weightKeeps { w = weightKeeps[l][o * layer.inputs + i] ? w * connectionScale : 0 }
                    sum += w * masked[i]
                }
                s[o] = sum
            }
            input = l == model.depth - 1 ? s : s.map { max($0, 0) }
        }
        return input
    }

    /// The softmax of `logits`, computed with the maximum subtracted.
    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max()!
        let exps = logits.map { Foundation.exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// ∂loss/∂θⱼ at `point` by central differences with step `h` (`point` is left as it was),
    /// and whether a ReLU kink lies within `h` of it: then the one-sided slopes disagree and no
    /// derivative exists to compare with.
    func slope(at point: inout [Double], _ j: Int, image: [Double], label: Int, h: Double) -> (numeric: Double, kink: Bool) {
        let center = loss(parameters: point, image: image, label: label)
        point[j] += h
        let plus = loss(parameters: point, image: image, label: label)
        point[j] -= 2 * h
        let minus = loss(parameters: point, image: image, label: label)
        point[j] += h
        let numeric = (plus - minus) / (2 * h)
        return (numeric, abs((plus - center) - (center - minus)) / h > 1e-3 * (1 + abs(numeric)))
    }

    /// The loss of the sample: log Σ exp(s) − s[label] of its logits s.
    func loss(parameters theta: [Double], image x: [Double], label: Int) -> Double {
        let s = logits(parameters: theta, image: x)
        let top = s.max()!
        return Foundation.log(s.map { Foundation.exp($0 - top) }.reduce(0, +)) + top - s[label]
    }
}
