/// `trainer_state.json`: what defines the run (its configuration and the data set's identity) and
/// where it stands (epoch, step), as a Hugging Face trainer keeps beside the weights.
///
/// ```json
/// {"format":"thinned","format_version":2,
///  "configuration":{"layers":[784,64,10],"dropout":"inverted","p_input":0.2,…,"seed":1,…},
///  "epoch":1,"step":100,"step_in_epoch":0,"epoch_loss_sum":0.0,
///  "data":{"source":"synthetic","files":[],"limit":2000,"train_count":2000,…} }
/// ```
extension Checkpoint {
    /// The trainer's state as JSON.
    public var trainerState: JSONValue {
        let data: JSONValue = dataIdentity.map { identity in
            .object([.init("source", .string(identity.source)), .init("files", .array(identity.files.map { .string($0) })),
                     .init("limit", identity.limit.map { .integer($0) } ?? .null),
                     .init("train_count", .integer(identity.trainCount)), .init("test_count", .integer(identity.testCount)),
                     .init("digest", .string(identity.digest))])
        } ?? .null
        return .object([
            .init("format", .string("thinned")), .init("format_version", .integer(Self.formatVersion)),
            .init("configuration", Self.json(configuration)),
            .init("epoch", .integer(epoch)), .init("step", .integer(state.step)), .init("step_in_epoch", .integer(stepInEpoch)),
            .init("epoch_loss_sum", .real(epochLossSum)), .init("data", data),
        ] + (epsilonSpent.map { [.init("epsilon", .real($0))] } ?? []))
    }

    /// `configuration` as `trainer_state.json` records it: one text for one configuration (the
    /// augmentations sorted), which MPI ranks also compare.
    public static func json(_ configuration: TrainingConfiguration) -> JSONValue {
        let model = configuration.model, optimizer = configuration.optimizer, augmentation = configuration.augmentation
        let settings: [JSONValue.Member] = [
            .init("layers", .array(model.layers.map { .integer($0) })), .init("dropout", .string(model.dropout.rawValue)),
            .init("p_input", .real(model.inputDropRate)), .init("p_hidden", .real(model.hiddenDropRate)),
            .init("init", .string(model.initialization.rawValue)),
            .init("optimizer", .string(optimizer.kind.rawValue)), .init("lr", .real(optimizer.learningRate)),
            .init("momentum", .real(optimizer.momentum)), .init("beta1", .real(optimizer.beta1)),
            .init("beta2", .real(optimizer.beta2)), .init("epsilon", .real(optimizer.epsilon)),
            .init("batch", .integer(configuration.batchSize)), .init("epochs", .integer(configuration.epochs)),
            .init("seed", .integer(configuration.seed)), .init("grad_mode", .string(configuration.gradientMode.rawValue)),
            .init("shard", .integer(configuration.shardSize)),
            .init("augment", .array(augmentation.transforms.map(\.rawValue).sorted().map { .string($0) })),
            .init("shift_px", .integer(augmentation.shiftPixels)), .init("rotate_deg", .real(augmentation.rotateDegrees)),
            .init("erase_size", .integer(augmentation.eraseSize)),
        ]
        // Written only where they say something, so that a plain run's checkpoint stays readable
        // by a thinned from before them.
        var extras: [JSONValue.Member] = []
        if configuration.sampling != .shuffle { extras.append(.init("sampling", .string(configuration.sampling.rawValue))) }
        if let groupSize = configuration.exactGroupSize {
            extras.append(.init("reduce", .object([.init("mode", .string("exact")), .init("group_size", .integer(groupSize))])))
        }
        if let privacy = configuration.privacy {
            extras.append(.init("privacy", .object([
                .init("clip", .real(Double(privacy.clipNorm))), .init("noise_multiplier", .real(privacy.noiseMultiplier)),
                .init("delta", .real(privacy.delta)), .init("noise_seed", .integer(privacy.noiseSeed)),
            ])))
        }
        return .object(settings + extras)
    }

    /// The ε (at the configuration's δ) the run's steps have spent, for the reader of
    /// `trainer_state.json`: nil without noise, or when the checkpoint does not record its
    /// training set's size. A resumed run recomputes it from the step count.
    public var epsilonSpent: Double? {
        guard let privacy = configuration.privacy, let samples = dataIdentity?.trainCount, samples > 0 else { return nil }
        return privacy.epsilon(steps: state.step, samplingRate: configuration.samplingRate(trainingSamples: samples))
            .flatMap { $0.epsilon.isFinite ? $0.epsilon : nil }
    }

    /// The largest `trainer_state.json` read (1 MB): thinned writes a few kB, and a larger file is
    /// refused before it is read or parsed.
    static let maximumTrainerStateBytes = 1_000_000

    /// The parts of a trainer state read back, before any tensor is.
    struct Position {
        var configuration: TrainingConfiguration
        var epoch: Int, step: Int, stepInEpoch: Int
        var epochLossSum: Double
        var dataIdentity: DatasetIdentity?
    }

    /// Reads `trainer_state.json` strictly: every field present, of its type, and no other.
    static func position(trainerState json: JSONValue, path: String) throws(CheckpointError) -> Position {
        var reader = FieldReader(json: json, path: path, prefix: "")
        guard case .object = json else { throw .badMetadata(path: path, field: "(file)", reason: "not a JSON object") }
        guard try reader.string("format") == "thinned" else {
            throw .badMetadata(path: path, field: "format", reason: "expected 'thinned'")
        }
        let version = try reader.size("format_version")
        guard version == formatVersion else {
            throw .badMetadata(path: path, field: "format_version", reason: "\(version); this thinned reads version \(formatVersion)")
        }
        var settings = FieldReader(json: try reader.field("configuration"), path: path, prefix: "configuration.")
        let layers = try settings.array("layers").map(\.size)
        guard !layers.isEmpty, layers.allSatisfy({ $0 != nil }) else {
            throw .badMetadata(path: path, field: "configuration.layers", reason: "not a list of widths")
        }
        let model = ModelConfiguration(layers: layers.map { $0! }, dropout: try settings.choice("dropout", DropoutKind.self),
                                       inputDropRate: try settings.float("p_input"), hiddenDropRate: try settings.float("p_hidden"),
                                       initialization: try settings.choice("init", WeightInitialization.self))
        var optimizer = OptimizerConfiguration(kind: try settings.choice("optimizer", OptimizerKind.self),
                                               learningRate: try settings.float("lr"))
        optimizer.momentum = try settings.float("momentum")
        optimizer.beta1 = try settings.float("beta1")
        optimizer.beta2 = try settings.float("beta2")
        optimizer.epsilon = try settings.float("epsilon")
        guard let seed = try settings.field("seed").unsigned else {
            throw .badMetadata(path: path, field: "configuration.seed", reason: "not a whole number in 0...\(UInt64.max)")
        }
        var configuration = TrainingConfiguration(
            model: model, optimizer: optimizer, batchSize: try settings.size("batch"), epochs: try settings.size("epochs"),
            seed: seed, gradientMode: try settings.choice("grad_mode", GradientMode.self), shardSize: try settings.size("shard"))
        var transforms: Set<Augmentation.Transform> = []
        for name in try settings.array("augment") {
            guard let text = name.string, let transform = Augmentation.Transform(rawValue: text), transforms.insert(transform).inserted else {
                throw .badMetadata(path: path, field: "configuration.augment", reason: "\(name.encoded) is not a transform, or twice")
            }
        }
        configuration.augmentation = Augmentation(transforms: transforms, shiftPixels: try settings.size("shift_px"),
                                                  rotateDegrees: try settings.double("rotate_deg"),
                                                  eraseSize: try settings.size("erase_size"))
        // Absent from checkpoints written before DP-SGD: those trained on shuffled batches, without clipping.
        if try settings.fieldIfPresent("sampling") != nil { configuration.sampling = try settings.choice("sampling", BatchSampling.self) }
        if let reduce = try settings.fieldIfPresent("reduce"), reduce != .null {
            var fields = FieldReader(json: reduce, path: path, prefix: "configuration.reduce.")
            guard try fields.field("mode").string == "exact" else {
                throw .badMetadata(path: path, field: "configuration.reduce.mode", reason: "not \"exact\"")
            }
            configuration.exactGroupSize = try fields.size("group_size")
        }
        if let privacy = try settings.fieldIfPresent("privacy"), privacy != .null {
            var fields = FieldReader(json: privacy, path: path, prefix: "configuration.privacy.")
            guard let noiseSeed = try fields.field("noise_seed").unsigned else {
                throw .badMetadata(path: path, field: "configuration.privacy.noise_seed", reason: "not a whole number in 0...\(UInt64.max)")
            }
            configuration.privacy = PrivacyConfiguration(clipNorm: try fields.float("clip"),
                                                         noiseMultiplier: try fields.double("noise_multiplier"),
                                                         delta: try fields.double("delta"), noiseSeed: noiseSeed)
            try fields.finish()
        }
        try settings.finish()
        do { try configuration.validate() } catch {
            throw .badMetadata(path: path, field: "configuration", reason: error.description)
        }
        var identity: DatasetIdentity?
        let data = try reader.field("data")
        if data != .null {
            var fields = FieldReader(json: data, path: path, prefix: "data.")
            let files = try fields.array("files").map(\.string)
            guard files.allSatisfy({ $0 != nil }) else { throw .badMetadata(path: path, field: "data.files", reason: "not a list of names") }
            let limit = try fields.field("limit")
            guard limit == .null || limit.size != nil else {
                throw .badMetadata(path: path, field: "data.limit", reason: "neither null nor a count")
            }
            identity = DatasetIdentity(source: try fields.string("source"), files: files.map { $0! }, limit: limit.size,
                                       trainCount: try fields.size("train_count"), testCount: try fields.size("test_count"),
                                       digest: try fields.string("digest"))
            try fields.finish()
        }
        let position = Position(configuration: configuration, epoch: try reader.size("epoch"), step: try reader.size("step"),
                                stepInEpoch: try reader.size("step_in_epoch"), epochLossSum: try reader.double("epoch_loss_sum"),
                                dataIdentity: identity)
        // Written for people and tools; the run recomputes it from the step count.
        if let epsilon = try reader.fieldIfPresent("epsilon"), epsilon != .null, epsilon.double.map({ $0 >= 0 }) != true {
            throw .badMetadata(path: path, field: "epsilon", reason: "\(epsilon.encoded) is not a number of 0 or more")
        }
        try reader.finish()
        try checkPosition(epoch: position.epoch, step: position.step, stepInEpoch: position.stepInEpoch,
                          batchesPerEpoch: identity.map { $0.trainCount / configuration.batchSize }, path: path)
        return position
    }

    /// Checks that `epoch`, `step` and `stepInEpoch` are one point of a run, naming the field that
    /// is not: `step` counts every update, so it is at least `stepInEpoch`, and equal to it in the
    /// first epoch. When the epoch's length is known (`batchesPerEpoch`: the training samples the
    /// checkpoint records, divided by its batch size, as `EpochOrder` counts full batches), the
    /// epoch under way has not ended (`stepInEpoch < batchesPerEpoch`) and
    /// `step == epoch × batchesPerEpoch + stepInEpoch`.
    static func checkPosition(epoch: Int, step: Int, stepInEpoch: Int, batchesPerEpoch: Int?, path: String) throws(CheckpointError) {
        guard step >= stepInEpoch else {
            throw .badMetadata(path: path, field: "step", reason: "\(step) updates, fewer than step_in_epoch \(stepInEpoch)")
        }
        guard epoch > 0 || step == stepInEpoch else {
            throw .badMetadata(path: path, field: "step", reason: "\(step) updates in the first epoch, but step_in_epoch is \(stepInEpoch)")
        }
        guard let batches = batchesPerEpoch else { return }
        guard stepInEpoch == 0 || stepInEpoch < batches else {
            throw .badMetadata(path: path, field: "step_in_epoch",
                               reason: "\(stepInEpoch), but an epoch of the recorded training set has \(batches) steps")
        }
        let (done, overflow) = epoch.multipliedReportingOverflow(by: batches)
        guard !overflow, done <= Int.max - stepInEpoch, step == done + stepInEpoch else {
            throw .badMetadata(path: path, field: "step",
                               reason: "\(step), but epoch \(epoch) × \(batches) steps + step_in_epoch \(stepInEpoch) = \(overflow ? "more than \(Int.max)" : "\(done &+ stepInEpoch)")")
        }
    }
}
