import ArgumentParser
import Thinned

/// The options that define a model and how it trains; shared by the commands that train.
///
/// Every option is optional so that a command knows which ones were given: the defaults are
/// applied by `configuration(batch:epochs:base:)` from a base configuration (the reference run,
/// or the checkpoint a run resumes), and a resumed run can refuse an option that contradicts it.
struct TrainOptions: ParsableArguments {
    @Option(help: "Layer widths from input to output, comma-separated (default: 784,512,512,512,512,10).")
    var layers: String?

    @Option(name: .customLong("p-input"), help: "Probability of dropping an input unit (default: 0.2).")
    var inputDropRate: Float?

    @Option(name: .customLong("p-hidden"), help: "Probability of dropping a hidden unit, or a weight with dropconnect (default: 0.5).")
    var hiddenDropRate: Float?

    @Option(help: "inverted (scale while training; the default), vanilla (weight scaling at prediction), none, or dropconnect (each sample its own mask over the weights, rate --p-hidden; runs through the literal path).")
    var dropout: DropoutKind?

    @Option(name: .customLong("init"), help: "Initial weights: xavier (Glorot uniform; the default) or he (Kaiming uniform).")
    var initialization: WeightInitialization?

    @Option(help: "Update rule applied to the averaged gradient: sgd, momentum or adam (default: adam for train, sgd for scale).")
    var optimizer: OptimizerKind?

    @Option(help: "Learning rate (default: 0.1 for sgd, 0.01 for momentum, 0.001 for adam).")
    var lr: Float?

    @Option(help: "Momentum coefficient for --optimizer momentum (default: 0.9).")
    var momentum: Float?

    @Option(help: "Seed of every random number: initial weights, shuffles, dropout masks (default: 1).")
    var seed: UInt64?

    @Option(name: .customLong("grad-mode"), help: "fused (batched GEMMs, the fast path; the default) or literal (every per-sample gradient materialised).")
    var gradientMode: GradientMode?

    @Option(help: "Random transforms of each training image, comma-separated: shift, rotate, flip (not for digits or text: a mirrored 2 is no 2), erase.")
    var augment: String?

    @Option(help: "--augment shift: at most this many pixels each way (default: 2).")
    var shiftPx: Int?

    @Option(help: "--augment rotate: at most this many degrees each way, bilinear resampling (default: 10).")
    var rotateDeg: Double?

    @Option(help: "--augment erase: the blanked rectangle's sides, at most this many pixels (default: 8).")
    var eraseSize: Int?

    @Option(help: "Samples per tile of the fused path's forward and delta products (half a shard, rounded up, when the batch is at most four shards), fixed by configuration, never by the thread count (default: 25).")
    var shard: Int?

    @Option(help: "Clip each sample's whole gradient (every layer) to this norm before averaging: min(1, C/‖∇ᵢ‖)·∇ᵢ.")
    var clip: Double?

    @Option(help: "DP-SGD: add Gaussian noise of standard deviation σ·C to every coordinate of the clipped sum (needs --clip; default 0: no noise).")
    var noiseMultiplier: Double?

    @Option(help: "DP-SGD: the δ of the (ε, δ) reported (default: 1e-5).")
    var delta: Double?

    @Option(help: "DP-SGD: the key of the noise (default: drawn from the system's random source and kept in the checkpoint; give it to reproduce a run's bits — whoever knows it can remove the noise).")
    var noiseSeed: UInt64?

    @Option(help: "How each step chooses its batch: shuffle (each epoch a shuffle cut into full batches; the default) or poisson (each example independently with probability batch/N, as the privacy accountant assumes; batch sizes vary).")
    var sampling: BatchSampling?

    @Option(help: "How a step's gradient is summed: tiles (over the whole batch at once; the default of a single process) or exact (the batch cut into groups of --group-size samples, each summed apart and the groups added exactly: the same bits on any number of MPI processes; the default under mpirun or srun).")
    var reduce: ReduceMode?

    @Option(help: "--reduce exact: samples per group, a multiple of --shard that divides the batch; each process gets whole groups (default: the largest such size of at most 100 samples and a quarter of the batch, else the shard size: 25 at batch 100, 100 at batch 1000).")
    var groupSize: Int?

    /// The DP options that were given, for the messages that refuse them.
    var privacyOptions: [String] {
        [("--clip", clip.map { "\($0)" }), ("--noise-multiplier", noiseMultiplier.map { "\($0)" }), ("--delta", delta.map { "\($0)" }),
         ("--noise-seed", noiseSeed.map { "\($0)" })]
            .compactMap { option, value in value.map { "\(option) \($0)" } }
    }

    /// The configuration these options describe on top of the reference run with
    /// `defaultOptimizer`, checked.
    func configuration(batch: Int?, epochs: Int, defaultOptimizer: OptimizerKind) throws -> TrainingConfiguration {
        try configuration(batch: batch, epochs: epochs, base: TrainingConfiguration(optimizer: .init(kind: defaultOptimizer)))
    }

    /// The configuration these options describe, every option not given taken from `base`, checked;
    /// an option that would have no effect is refused.
    func configuration(batch: Int?, epochs: Int, base: TrainingConfiguration) throws -> TrainingConfiguration {
        var configuration = base
        configuration.epochs = epochs
        if let batch { configuration.batchSize = batch }
        if let seed { configuration.seed = seed }
        if let gradientMode { configuration.gradientMode = gradientMode }
        if let shard { configuration.shardSize = shard }
        configuration.model = try model(base: base.model)
        configuration.optimizer = try optimizerConfiguration(base: base.optimizer)
        configuration.augmentation = try augmentation(base: base.augmentation)
        configuration.privacy = try privacy(base: base.privacy)
        if let sampling { configuration.sampling = sampling }
        switch reduce {
        case .tiles?: configuration.exactGroupSize = nil
        case .exact?: configuration.exactGroupSize = groupSize ?? base.exactGroupSize ?? configuration.groupSizeOrDefault
        // Under a launcher exact is the default (a new run's; a resumed run keeps its checkpoint's).
        case nil: if let groupSize, base.exactGroupSize != nil || Launch.announcedSize != nil { configuration.exactGroupSize = groupSize }
        }
        if let groupSize, configuration.exactGroupSize == nil {
            throw ValidationError("--group-size \(groupSize): groups are summed apart only with --reduce exact")
        }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    private func model(base: ModelConfiguration) throws -> ModelConfiguration {
        var model = base
        if let layers {
            let widths = layers.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingBlanks) }
            guard !widths.isEmpty, widths.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--layers \(layers): expected comma-separated widths, as 784,512,10")
            }
            model.layers = widths.map { $0! }
        }
        if let dropout { model.dropout = dropout }
        if let initialization { model.initialization = initialization }
        if let inputDropRate {
            model.inputDropRate = inputDropRate
            guard model.maskKind == .units else {
                throw ValidationError("--p-input \(inputDropRate): no input unit is dropped with --dropout \(model.dropout.rawValue)")
            }
        }
        if let hiddenDropRate {
            model.hiddenDropRate = hiddenDropRate
            guard model.maskKind != nil else {
                throw ValidationError("--p-hidden \(hiddenDropRate): nothing is dropped with --dropout none")
            }
            guard model.layers.count > 2 || model.maskKind == .weights else {
                throw ValidationError("--p-hidden \(hiddenDropRate): the model \(model.layers.map(String.init).joined(separator: "-")) has no hidden layer")
            }
        }
        return model
    }

    private func optimizerConfiguration(base: OptimizerConfiguration) throws -> OptimizerConfiguration {
        let kind = optimizer ?? base.kind
        // Another update rule starts from its own defaults, not from the base's.
        var result = kind == base.kind ? base : OptimizerConfiguration(kind: kind)
        if let lr { result.learningRate = lr }
        if let momentum {
            guard kind == .momentum else {
                throw ValidationError("--momentum \(momentum): only --optimizer momentum uses it (the optimizer is \(kind.rawValue))")
            }
            result.momentum = momentum
        }
        return result
    }

    private func privacy(base: PrivacyConfiguration?) throws -> PrivacyConfiguration? {
        if let clip, !(clip > 0 && clip <= Double(Float.greatestFiniteMagnitude)) {
            throw ValidationError("--clip \(clip): expected a finite norm above 0")
        }
        guard var result = base ?? clip.map({ PrivacyConfiguration(clipNorm: Float($0)) }) else {
            if let noiseMultiplier { throw ValidationError("--noise-multiplier \(noiseMultiplier): needs --clip C (the noise is σ·C)") }
            if let delta { throw ValidationError("--delta \(delta): there is no privacy guarantee without --clip and --noise-multiplier") }
            if let noiseSeed { throw ValidationError("--noise-seed \(noiseSeed): there is no noise without --clip and --noise-multiplier") }
            return nil
        }
        if let clip { result.clipNorm = Float(clip) }
        if let noiseMultiplier { result.noiseMultiplier = noiseMultiplier }
        if let delta { result.delta = delta }
        if let noiseSeed { result.noiseSeed = noiseSeed }
        return result
    }

    /// Refuses `--delta` and `--noise-seed` where the configuration adds no noise (`choosesNoise`:
    /// a command that will choose σ itself, as `train --target-epsilon` does).
    func requireNoiseForItsOptions(_ configuration: TrainingConfiguration, choosesNoise: Bool = false) throws {
        guard configuration.privacy?.addsNoise != true, !choosesNoise else { return }
        if let delta { throw ValidationError("--delta \(delta): no noise is added (give --noise-multiplier or --target-epsilon), so there is no (ε, δ) to report") }
        if let noiseSeed { throw ValidationError("--noise-seed \(noiseSeed): no noise is added (give --noise-multiplier or --target-epsilon)") }
    }

    private func augmentation(base: Augmentation) throws -> Augmentation {
        var result = base
        if let augment {
            let expected = "expected a comma-separated list of shift, rotate, flip, erase"
            let names = augment.split(separator: ",", omittingEmptySubsequences: false).map(\.trimmingBlanks)
            var transforms: Set<Augmentation.Transform> = []
            for name in names {
                guard let transform = Augmentation.Transform(rawValue: name) else {
                    throw ValidationError(name.isEmpty ? "--augment '\(augment)': \(expected) (leave the option out for none)"
                                                       : "--augment \(augment): unknown transform '\(name)' (\(expected))")
                }
                transforms.insert(transform)
            }
            result.transforms = transforms
        }
        let uses: [(option: String, given: String?, transform: Augmentation.Transform)] = [
            ("--shift-px", shiftPx.map(String.init), .shift), ("--rotate-deg", rotateDeg.map { "\($0)" }, .rotate),
            ("--erase-size", eraseSize.map(String.init), .erase),
        ]
        for use in uses {
            if let given = use.given, !result.transforms.contains(use.transform) {
                throw ValidationError("\(use.option) \(given): only --augment \(use.transform.rawValue) uses it")
            }
        }
        if let shiftPx { result.shiftPixels = shiftPx }
        if let rotateDeg { result.rotateDegrees = rotateDeg }
        if let eraseSize { result.eraseSize = eraseSize }
        return result
    }
}

extension DropoutKind: ExpressibleByArgument {}
extension WeightInitialization: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension GradientMode: ExpressibleByArgument {}
extension BatchSampling: ExpressibleByArgument {}

/// `--reduce`: how a step's gradient is summed (`TrainingConfiguration.exactGroupSize`).
enum ReduceMode: String, CaseIterable, ExpressibleByArgument {
    case tiles, exact
}
