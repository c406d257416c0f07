import ArgumentParser
import Foundation
import Thinned

/// The options that define a model and how it trains; shared by the commands that train.
struct TrainOptions: ParsableArguments {
    @Option(help: "Layer widths from input to output, comma-separated.")
    var layers: String = "784,512,512,512,512,10"

    @Option(name: .customLong("p-input"), help: "Probability of dropping an input unit.")
    var inputDropRate: Float = 0.2

    @Option(name: .customLong("p-hidden"), help: "Probability of dropping a hidden unit.")
    var hiddenDropRate: Float = 0.5

    @Option(help: "inverted (scale while training), vanilla (weight scaling at prediction), none, or dropconnect (each sample its own mask over the weights, rate --p-hidden; runs through the literal path).")
    var dropout: DropoutKind = .inverted

    @Option(name: .customLong("init"), help: "Initial weights: xavier (Glorot uniform) or he (Kaiming uniform).")
    var initialization: WeightInitialization = .xavier

    @Option(help: "Update rule applied to the averaged gradient: sgd, momentum or adam (default: adam for train, sgd for scale).")
    var optimizer: OptimizerKind?

    @Option(help: "Learning rate (default: 0.1 for sgd, 0.01 for momentum, 0.001 for adam).")
    var lr: Float?

    @Option(help: "Momentum coefficient for --optimizer momentum.")
    var momentum: Float = 0.9

    @Option(help: "Seed of every random number: initial weights, shuffles, dropout masks.")
    var seed: UInt64 = 1

    @Option(name: .customLong("grad-mode"), help: "fused (batched GEMMs, the fast path) or literal (every per-sample gradient materialised).")
    var gradientMode: GradientMode = .fused

    @Option(help: "Random transforms of each training image, comma-separated: shift, rotate, flip (not for digits or text: a mirrored 2 is no 2), erase.")
    var augment: String?

    @Option(help: "--augment shift: at most this many pixels each way.")
    var shiftPx: Int = 2

    @Option(help: "--augment rotate: at most this many degrees each way (bilinear resampling).")
    var rotateDeg: Double = 10

    @Option(help: "--augment erase: the blanked rectangle's sides, at most this many pixels.")
    var eraseSize: Int = 8

    @Option(help: "Samples per tile of the fused path's forward and delta products (fixed by configuration, never by the thread count).")
    var shard: Int = 50

    /// The configuration these options describe, checked.
    func configuration(batch: Int, epochs: Int, defaultOptimizer: OptimizerKind) throws -> TrainingConfiguration {
        let widths = layers.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--layers \(layers): expected comma-separated widths, as 784,512,10")
        }
        var optimizer = OptimizerConfiguration(kind: self.optimizer ?? defaultOptimizer, learningRate: lr)
        optimizer.momentum = momentum
        var transforms: Set<Augmentation.Transform> = []
        for name in (augment ?? "").split(separator: ",") {
            guard let transform = Augmentation.Transform(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--augment \(augment!): unknown transform '\(name)' (expected shift, rotate, flip, erase)")
            }
            transforms.insert(transform)
        }
        var configuration = TrainingConfiguration(
            model: ModelConfiguration(layers: widths.map { $0! }, dropout: dropout, inputDropRate: inputDropRate,
                                      hiddenDropRate: hiddenDropRate, initialization: initialization),
            optimizer: optimizer, batchSize: batch, epochs: epochs, seed: seed, gradientMode: gradientMode,
            shardSize: shard)
        configuration.augmentation = Augmentation(transforms: transforms, shiftPixels: shiftPx, rotateDegrees: rotateDeg,
                                                  eraseSize: eraseSize)
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }
}

extension DropoutKind: ExpressibleByArgument {}
extension WeightInitialization: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension GradientMode: ExpressibleByArgument {}
