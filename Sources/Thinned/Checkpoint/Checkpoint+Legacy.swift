/// Format 1: the whole checkpoint in one safetensors file — parameters under their
/// `nn.Sequential` names, the optimizer's state as `optimizer.<state>.<name>` (and Adam's
/// `optimizer.step`), and the configuration and position as strings in `__metadata__`. Read,
/// no longer written.
extension Checkpoint {
    static let legacyFormatVersion = 1

    /// Reads a format-1 file: every metadata field, then every tensor's shape against the model
    /// they describe (and no tensor beyond it) before the model is allocated.
    init(_ file: SafeTensors, path: String) throws(CheckpointError) {
        let fields = file.metadata
        func field(_ name: String) throws(CheckpointError) -> String {
            guard let value = fields[name] else { throw .badMetadata(path: path, field: name, reason: "missing") }
            return value
        }
        func number<T: LosslessStringConvertible>(_ name: String, _ type: T.Type) throws(CheckpointError) -> T {
            let text = try field(name)
            guard let value = T(text) else { throw .badMetadata(path: path, field: name, reason: "'\(text)' is not a \(T.self)") }
            if let real = value as? Float, !real.isFinite { throw .badMetadata(path: path, field: name, reason: "'\(text)' is not finite") }
            if let real = value as? Double, !real.isFinite { throw .badMetadata(path: path, field: name, reason: "'\(text)' is not finite") }
            return value
        }
        func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(CheckpointError) -> T where T.RawValue == String {
            let text = try field(name)
            guard let value = T(rawValue: text) else { throw .badMetadata(path: path, field: name, reason: "unknown value '\(text)'") }
            return value
        }
        guard try field("format") == "thinned" else { throw .badMetadata(path: path, field: "format", reason: "expected 'thinned'") }
        let version = try number("format_version", Int.self)
        guard version == Self.legacyFormatVersion else {
            throw .badMetadata(path: path, field: "format_version",
                               reason: "\(version) in a single file; this thinned reads version \(Self.legacyFormatVersion) files and version \(Self.formatVersion) folders")
        }
        let layers = try field("layers").split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !layers.isEmpty, layers.allSatisfy({ $0 != nil }) else {
            throw .badMetadata(path: path, field: "layers", reason: "not a list of widths")
        }
        let model = ModelConfiguration(layers: layers.map { $0! }, dropout: try choice("dropout", DropoutKind.self),
                                       inputDropRate: try number("p_input", Float.self),
                                       hiddenDropRate: try number("p_hidden", Float.self),
                                       initialization: try choice("init", WeightInitialization.self))
        var optimizer = OptimizerConfiguration(kind: try choice("optimizer", OptimizerKind.self), learningRate: try number("lr", Float.self))
        optimizer.momentum = try number("momentum", Float.self)
        optimizer.beta1 = try number("beta1", Float.self)
        optimizer.beta2 = try number("beta2", Float.self)
        optimizer.epsilon = try number("epsilon", Float.self)
        var configuration = TrainingConfiguration(
            model: model, optimizer: optimizer, batchSize: try number("batch", Int.self), epochs: try number("epochs", Int.self),
            seed: try number("seed", UInt64.self), gradientMode: try choice("grad_mode", GradientMode.self),
            shardSize: try number("shard", Int.self))
        if let list = fields["augment"], !list.isEmpty {
            var transforms: Set<Augmentation.Transform> = []
            for name in list.split(separator: ",") {
                guard let transform = Augmentation.Transform(rawValue: String(name)) else {
                    throw .badMetadata(path: path, field: "augment", reason: "unknown transform '\(name)'")
                }
                transforms.insert(transform)
            }
            configuration.augmentation = Augmentation(transforms: transforms, shiftPixels: try number("shift_px", Int.self),
                                                      rotateDegrees: try number("rotate_deg", Double.self),
                                                      eraseSize: try number("erase_size", Int.self))
        }
        do { try configuration.validate() } catch {
            throw .badMetadata(path: path, field: "configuration", reason: error.description)
        }
        let step = try number("step", Int.self)
        let epoch = try number("epoch", Int.self), stepInEpoch = try number("step_in_epoch", Int.self)
        guard step >= 0, epoch >= 0, stepInEpoch >= 0 else {
            throw .badMetadata(path: path, field: "step", reason: "negative position in the run")
        }
        // Format 1 records no training-set size, so an epoch's length is unknown here.
        try Self.checkPosition(epoch: epoch, step: step, stepInEpoch: stepInEpoch, batchesPerEpoch: nil, path: path)

        let layout = try Self.layout(model, path: path)
        let names = Self.stateNames(optimizer.kind)
        var expected = layout.tensors.map { ($0.name, $0.shape) }
        expected += names.flatMap { state in layout.tensors.map { ("optimizer.\(state).\($0.name)", $0.shape) } }
        if optimizer.kind == .adam { expected.append(("optimizer.step", [])) }
        try Self.check(file, against: expected, path: path)
        if let tensor = file["optimizer.step"], tensor.values != [Float(step)] {
            throw .badMetadata(path: path, field: "optimizer.step", reason: "\(tensor.values[0]), but the metadata's step is \(step)")
        }
        let state = try Self.state(layout: layout, configuration: configuration, step: step, path: path) { name in
            file[name]?.values ?? file["optimizer." + name]!.values
        }
        self.init(configuration: configuration, state: state, epoch: epoch, stepInEpoch: stepInEpoch,
                  epochLossSum: try number("epoch_loss_sum", Double.self))
    }
}
