import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A training run at a step boundary, as a safetensors file PyTorch can read.
///
/// Tensors: the parameters under PyTorch's `nn.Sequential(Linear, ReLU, Dropout, …)` names
/// (`0.weight [out, in]`, `0.bias`, `3.weight`, …), so `safetensors.torch.load_file` then
/// `load_state_dict` (keeping the keys without the `optimizer.` prefix) fills the same model;
/// and the optimizer's state as `optimizer.momentum_buffer.<name>` or `optimizer.exp_avg.<name>`
/// and `optimizer.exp_avg_sq.<name>` (and Adam's `optimizer.step`). `__metadata__` holds the configuration, the position in
/// the run, and the format version.
public struct Checkpoint: Sendable {
    public var configuration: TrainingConfiguration
    public var state: TrainingState
    /// Epochs completed.
    public var epoch: Int
    /// Steps completed in the epoch under way (0 at an epoch boundary).
    public var stepInEpoch: Int
    /// The sum of the losses of those steps, so a resumed epoch reports the same mean.
    public var epochLossSum: Double
    /// What the run trained on (nil in checkpoints written before it was recorded).
    public var dataIdentity: DatasetIdentity?

    public static let formatVersion = 1

    public init(configuration: TrainingConfiguration, state: TrainingState, epoch: Int, stepInEpoch: Int, epochLossSum: Double,
                dataIdentity: DatasetIdentity? = nil) {
        self.dataIdentity = dataIdentity
        self.configuration = configuration
        self.state = state
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.epochLossSum = epochLossSum
    }

    /// The names of the optimizer's state buffers, in `TrainingState` order (first, second).
    static func stateNames(_ kind: OptimizerKind) -> [String] {
        switch kind {
        case .sgd: []
        case .momentum: ["momentum_buffer"]
        case .adam: ["exp_avg", "exp_avg_sq"]
        }
    }

    /// The checkpoint as safetensors.
    public var safeTensors: SafeTensors {
        var tensors: [SafeTensors.Tensor] = []
        let buffers = [state.firstMoment, state.secondMoment]
        for (name, range, shape) in state.layout.tensors {
            tensors.append(.init(name: name, shape: shape, values: Array(state.parameters[range])))
        }
        for (index, stateName) in Self.stateNames(configuration.optimizer.kind).enumerated() {
            for (name, range, shape) in state.layout.tensors {
                tensors.append(.init(name: "optimizer.\(stateName).\(name)", shape: shape, values: Array(buffers[index][range])))
            }
        }
        if configuration.optimizer.kind == .adam {
            // As PyTorch's Adam keeps it (a float tensor); the exact count is the metadata's `step`.
            tensors.append(.init(name: "optimizer.step", shape: [], values: [Float(state.step)]))
        }
        let model = configuration.model, optimizer = configuration.optimizer
        let metadata: [String: String] = [
            "format": "thinned", "format_version": "\(Self.formatVersion)",
            "layers": model.layers.map(String.init).joined(separator: ","), "dropout": model.dropout.rawValue,
            "p_input": "\(model.inputDropRate)", "p_hidden": "\(model.hiddenDropRate)", "init": model.initialization.rawValue,
            "optimizer": optimizer.kind.rawValue, "lr": "\(optimizer.learningRate)", "momentum": "\(optimizer.momentum)",
            "beta1": "\(optimizer.beta1)", "beta2": "\(optimizer.beta2)", "epsilon": "\(optimizer.epsilon)",
            "batch": "\(configuration.batchSize)", "epochs": "\(configuration.epochs)", "seed": "\(configuration.seed)",
            "grad_mode": configuration.gradientMode.rawValue, "shard": "\(configuration.shardSize)",
            "epoch": "\(epoch)", "step": "\(state.step)", "step_in_epoch": "\(stepInEpoch)",
            "epoch_loss_sum": "\(epochLossSum)",
            "augment": configuration.augmentation.transforms.map(\.rawValue).sorted().joined(separator: ","),
            "shift_px": "\(configuration.augmentation.shiftPixels)", "rotate_deg": "\(configuration.augmentation.rotateDegrees)",
            "erase_size": "\(configuration.augmentation.eraseSize)",
        ]
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Writes the checkpoint atomically: a temporary file in the same folder, flushed to disk,
    /// then renamed over `path` (and the folder flushed). A crash or a kill at any moment leaves
    /// either the previous file or the new one, never a mixture.
    public func write(to path: String) throws(CheckpointError) {
        let bytes = safeTensors.encoded()
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let temporary = folder + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .unwritable(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw .unwritable(path: path, reason: failure)
        }
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 { fsync(folderFD); close(folderFD) }
    }

    /// Checks, before any training, that a checkpoint can be written at `path`: found out now,
    /// not after hours of training.
    public static func prepareDestination(_ path: String) throws(CheckpointError) {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw .unwritable(path: path, reason: "the folder \(folder) does not exist or is not writable")
        }
    }

    /// Reads and validates a checkpoint: the file, every tensor's shape against the model its
    /// metadata describes, and every metadata field.
    public init(path: String) throws(CheckpointError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        try self.init(SafeTensors(decoding: data, path: path), path: path)
    }

    init(_ file: SafeTensors, path: String) throws(CheckpointError) {
        let fields = file.metadata
        func field(_ name: String) throws(CheckpointError) -> String {
            guard let value = fields[name] else { throw .badMetadata(path: path, field: name, reason: "missing") }
            return value
        }
        func number<T: LosslessStringConvertible>(_ name: String, _ type: T.Type) throws(CheckpointError) -> T {
            let text = try field(name)
            guard let value = T(text) else { throw .badMetadata(path: path, field: name, reason: "'\(text)' is not a \(T.self)") }
            return value
        }
        func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(CheckpointError) -> T where T.RawValue == String {
            let text = try field(name)
            guard let value = T(rawValue: text) else { throw .badMetadata(path: path, field: name, reason: "unknown value '\(text)'") }
            return value
        }
        guard try field("format") == "thinned" else { throw .badMetadata(path: path, field: "format", reason: "expected 'thinned'") }
        let version = try number("format_version", Int.self)
        guard version == Self.formatVersion else {
            throw .badMetadata(path: path, field: "format_version", reason: "\(version); this thinned reads version \(Self.formatVersion)")
        }
        let layers = try field("layers").split(separator: ",").map { Int($0) }
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

        var state = TrainingState(model: model, optimizer: optimizer, seed: configuration.seed)
        func load(_ name: String, into buffer: inout [Float], range: Range<Int>, shape: [Int]) throws(CheckpointError) {
            guard let tensor = file[name] else { throw .missingTensor(path: path, name: name) }
            guard tensor.shape == shape else { throw .shapeMismatch(path: path, name: name, found: tensor.shape, expected: shape) }
            buffer.replaceSubrange(range, with: tensor.values)
        }
        let names = Self.stateNames(optimizer.kind)
        for (name, range, shape) in state.layout.tensors {
            try load(name, into: &state.parameters, range: range, shape: shape)
            if names.count >= 1 { try load("optimizer.\(names[0]).\(name)", into: &state.firstMoment, range: range, shape: shape) }
            if names.count >= 2 { try load("optimizer.\(names[1]).\(name)", into: &state.secondMoment, range: range, shape: shape) }
        }
        state.step = try number("step", Int.self)
        let epoch = try number("epoch", Int.self), stepInEpoch = try number("step_in_epoch", Int.self)
        guard state.step >= 0, epoch >= 0, stepInEpoch >= 0 else {
            throw .badMetadata(path: path, field: "step", reason: "negative position in the run")
        }
        self.init(configuration: configuration, state: state, epoch: epoch, stepInEpoch: stepInEpoch,
                  epochLossSum: try number("epoch_loss_sum", Double.self))
    }
}
