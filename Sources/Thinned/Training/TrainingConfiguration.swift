/// Everything that decides a run's bits, besides the data: model, optimizer, batch, epochs,
/// seed, gradient mode and shard size. The thread count and placement are deliberately absent.
public struct TrainingConfiguration: Hashable, Sendable, Codable {
    /// The network: widths, dropout and initialization.
    public var model: ModelConfiguration
    /// The update rule and its hyper-parameters.
    public var optimizer: OptimizerConfiguration
    /// Samples per step; the last partial batch of each epoch is dropped.
    public var batchSize: Int
    /// The number of epochs the run trains for.
    public var epochs: Int
    /// The seed of every random number the run draws (weights, shuffles, masks, augmentation).
    public var seed: UInt64
    /// How each step computes ∇_ave, when the masks allow it (see `stepMode`).
    public var gradientMode: GradientMode
    /// Samples per shard of the fused path's sample phase (fixed by configuration, never by the
    /// thread count).
    public var shardSize: Int
    /// Random transforms of each training image (none by default).
    public var augmentation: Augmentation = .none
    /// Per-sample clipping and DP-SGD's noise (nil, the default: the plain step of Algorithm 5-8).
    public var privacy: PrivacyConfiguration?
    /// How each step chooses its batch: shuffled fixed-size batches (the default), or Poisson
    /// sampling with expected size `batchSize`.
    public var sampling: BatchSampling = .shuffle
    /// `--reduce exact`: the batch is cut into groups of this many consecutive samples, each
    /// group's gradient summed apart and the groups added exactly (`ExactReduction`), so that the
    /// bits are the same however the groups are spread over processes (MPI ranks). nil (the
    /// default): the gradient summed over the whole batch in tiles (one process only).
    public var exactGroupSize: Int?

    /// The group size `--reduce exact` takes when none is given: the largest multiple of the
    /// shard size that divides the batch and is at most 100 samples (the rows the tiled step sums
    /// per product, `TilePlan.gradientRows`: each group's products keep that depth) and at most a
    /// quarter of the batch (so that up to 4 processes can share even a small batch); the shard
    /// size when none is. A function of the batch and the shard size alone, never of the processes.
    public static func defaultGroupSize(batchSize: Int, shardSize: Int) -> Int {
        let largest = min(TilePlan.gradientRows, batchSize / 4)
        return stride(from: largest / shardSize * shardSize, through: shardSize, by: -shardSize)
            .first { batchSize % $0 == 0 } ?? shardSize
    }

    /// `exactGroupSize`, or the default for this batch and shard size.
    public var groupSizeOrDefault: Int { exactGroupSize ?? Self.defaultGroupSize(batchSize: batchSize, shardSize: shardSize) }

    /// A configuration; the defaults train the reference model with Adam at its default rate, batch
    /// 100, 15 epochs, seed 1, fused, shards of 25, and no augmentation (set `augmentation` after).
    public init(model: ModelConfiguration = .reference, optimizer: OptimizerConfiguration = .init(kind: .adam),
                batchSize: Int = 100, epochs: Int = 15, seed: UInt64 = 1, gradientMode: GradientMode = .fused,
                shardSize: Int = 25) {
        self.model = model
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.epochs = epochs
        self.seed = seed
        self.gradientMode = gradientMode
        self.shardSize = shardSize
    }

    /// The gradient mode the run's steps use: `gradientMode`, unless the model's masks give every
    /// sample its own weights (DropConnect) — no batched product serves those: then literal.
    public var stepMode: GradientMode {
        (model.maskKind?.sharesWeights ?? true) ? gradientMode : .literal
    }

    /// Checks every field, naming the option that sets it.
    public func validate() throws(ConfigurationError) {
        try model.validate()
        try optimizer.validate()
        guard batchSize >= 1 else { throw .invalid(option: "--batch", value: "\(batchSize)", expected: "at least 1 sample") }
        guard epochs >= 1 else { throw .invalid(option: "--epochs", value: "\(epochs)", expected: "at least 1") }
        guard shardSize >= 1 else { throw .invalid(option: "--shard", value: "\(shardSize)", expected: "at least 1 sample") }
        try privacy?.validate()
        if let groupSize = exactGroupSize {
            guard groupSize >= 1, groupSize % shardSize == 0 else {
                throw .invalid(option: "--group-size", value: "\(groupSize)",
                               expected: "a multiple of the shard size \(shardSize) (each group's rows cut into the same shards wherever it runs)")
            }
            guard batchSize % groupSize == 0 else {
                throw .invalid(option: "--batch", value: "\(batchSize)",
                               expected: "a multiple of the group size \(groupSize) under --reduce exact")
            }
            guard sampling == .shuffle else {
                throw .invalid(option: "--sampling", value: sampling.rawValue,
                               expected: "shuffle under --reduce exact, the default under mpirun or srun (Poisson batches vary in size and do not divide into groups)")
            }
            guard stepMode == .fused else {
                throw .invalid(option: "--grad-mode", value: stepMode.rawValue,
                               expected: "fused under --reduce exact, the default under mpirun or srun (--dropout dropconnect and --grad-mode literal sum per sample, through the literal path)")
            }
        }
        guard augmentation.shiftPixels >= 0 else {
            throw .invalid(option: "--shift-px", value: "\(augmentation.shiftPixels)", expected: "0 or more pixels")
        }
        guard (0...180).contains(augmentation.rotateDegrees) else {
            throw .invalid(option: "--rotate-deg", value: "\(augmentation.rotateDegrees)", expected: "an angle in [0, 180]")
        }
        guard augmentation.eraseSize >= 1 else {
            throw .invalid(option: "--erase-size", value: "\(augmentation.eraseSize)", expected: "at least 1 pixel")
        }
        guard augmentation.isEnabled else { return }
        guard let side = Augmentation.side(features: model.inputs) else {
            throw .invalid(option: "--augment", value: augmentation.transforms.map(\.rawValue).sorted().joined(separator: ","),
                           expected: "square images (the input width \(model.inputs) is not a square)")
        }
        // A shift of 0 or a rotation of 0 would do nothing; a shift or a rectangle as large as
        // the image would blank it.
        if augmentation.transforms.contains(.shift), !(1..<side).contains(augmentation.shiftPixels) {
            throw .invalid(option: "--shift-px", value: "\(augmentation.shiftPixels)", expected: "1 to \(side - 1) pixels for \(side)×\(side) images")
        }
        if augmentation.transforms.contains(.rotate), augmentation.rotateDegrees == 0 {
            throw .invalid(option: "--rotate-deg", value: "0", expected: "an angle in (0, 180] (0 rotates nothing)")
        }
        if augmentation.transforms.contains(.erase), augmentation.eraseSize >= side {
            throw .invalid(option: "--erase-size", value: "\(augmentation.eraseSize)", expected: "1 to \(side - 1) pixels for \(side)×\(side) images")
        }
    }

    /// The probability with which a step includes a given example, |𝔹|/N: what the privacy
    /// accountant assumes of the batches.
    public func samplingRate(trainingSamples: Int) -> Double {
        Double(batchSize) / Double(trainingSamples)
    }

    /// Checks the configuration against a data set it is to train on.
    public func validate(for data: DataSplit) throws(ConfigurationError) {
        try validate()
        guard batchSize <= data.train.count else {
            throw .invalid(option: "--batch", value: "\(batchSize)",
                           expected: "at most the \(data.train.count) training samples of \(data.train.name)")
        }
        guard data.train.features == model.inputs else {
            throw .invalid(option: "--layers", value: model.layers.map(String.init).joined(separator: ","),
                           expected: "an input width of \(data.train.features) for \(data.train.name)")
        }
        guard data.train.classes <= model.classes else {
            throw .invalid(option: "--layers", value: model.layers.map(String.init).joined(separator: ","),
                           expected: "at least \(data.train.classes) outputs for \(data.train.name)")
        }
    }
}
