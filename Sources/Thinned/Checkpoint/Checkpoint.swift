#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A training run at a step boundary, saved as a folder laid out as Hugging Face's:
///
/// - `model.safetensors`: the model's weights only, under PyTorch's `nn.Sequential(Linear, ReLU,
///   Dropout, …)` names (`0.weight [out, in]`, `0.bias`, `3.weight`, …), so
///   `model.load_state_dict(load_file("DIR/model.safetensors"), strict=True)` fills the same model;
/// - `optimizer.safetensors`: the optimizer's state as `momentum_buffer.<name>`, or
///   `exp_avg.<name>`, `exp_avg_sq.<name>` and `step` (Adam, as PyTorch's `Adam` keeps them);
/// - `trainer_state.json`: what defines the run and where it stands (see `trainerState`).
///
/// A save replaces the whole folder atomically (`CheckpointFolder`). Single-file checkpoints of
/// format 1 (everything in one safetensors file, the state in `__metadata__`) are still read.
///
/// Nothing non-finite is written or read: a diverged run's state is refused by `write`, so the
/// last checkpoint on disk stays the last good one.
public struct Checkpoint: Sendable {
    /// What defines the run's bits (but for the data, `dataIdentity`).
    public var configuration: TrainingConfiguration
    /// The parameters and the optimizer's state, at `state.step` updates.
    public var state: TrainingState
    /// Epochs completed.
    public var epoch: Int
    /// Steps completed in the epoch under way (0 at an epoch boundary).
    public var stepInEpoch: Int
    /// The sum of the losses of those steps, so a resumed epoch reports the same mean.
    public var epochLossSum: Double
    /// What the run trained on (nil in checkpoints written before it was recorded).
    public var dataIdentity: DatasetIdentity?

    /// The layout written: 2 is the folder; 1, the single file, is still read.
    public static let formatVersion = 2

    /// A checkpoint of `state` under `configuration`, `epoch` epochs and `stepInEpoch` steps in.
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

    /// Writes the checkpoint as the folder `path`, replacing the one there as a whole (the
    /// previous one is intact at every instant; see `CheckpointFolder`). Refuses a state with a
    /// NaN or an infinity (`CheckpointError.nonFinite`, naming the tensor), a position that no
    /// run reaches (as after steps of `Trainer.train(batch:)`, which are not positions in an
    /// epoch; reading it back would refuse it), and a `path` that holds something other than a
    /// checkpoint.
    public func write(to path: String) throws(CheckpointError) {
        try Self.checkPosition(epoch: epoch, step: state.step, stepInEpoch: stepInEpoch,
                               batchesPerEpoch: dataIdentity.map { $0.trainCount / configuration.batchSize }, path: path)
        try checkFinite(path: path)
        try CheckpointFolder.write([(CheckpointFolder.modelFile, modelFile.encoded()),
                                    (CheckpointFolder.optimizerFile, optimizerFile.encoded()),
                                    (CheckpointFolder.trainerStateFile, Data((trainerState.encoded + "\n").utf8))], to: path,
                                   // It holds the noise's key, which removes the noise: its owner alone may read it.
                                   ownerOnly: configuration.privacy?.addsNoise == true ? [CheckpointFolder.trainerStateFile] : [])
    }

    /// Checks, before any training, that a checkpoint can be written at `path` — found out now,
    /// not after hours of training: the parent folder exists, is writable and is not in a kernel
    /// file system (`/proc`, `/sys`); `path` is new, an empty folder, or a checkpoint (folder or
    /// single file) that may be replaced. Also removes the temporaries that saves killed midway
    /// left beside `path`.
    public static func prepareDestination(_ path: String) throws(CheckpointError) {
        try CheckpointFolder.prepare(path)
    }

    /// Reads and validates a checkpoint: a folder (format 2) or a single file (format 1). Every
    /// tensor's shape is checked against the model the state describes, and the model's size
    /// against the memory there is, before the model is allocated; every value must be finite.
    public init(path: String) throws(CheckpointError) {
        var info = stat()
        if stat(path, &info) != 0, errno == ENOENT {
            // A save killed between the two renames of the fallback left the previous checkpoint
            // beside its name (see `CheckpointFolder`): put it back.
            let (parent, name) = Path.split(path)
            CheckpointFolder.removeStaleTemporaries(parent: parent, name: name)
        }
        guard stat(path, &info) == 0 else {
            throw .unreadable(path: path, reason: Self.statFailure(path))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            try self.init(folder: path)
        } else {
            let (parent, _) = Path.split(path)
            if Path.exists(Path.joined(parent, CheckpointFolder.trainerStateFile)) {
                throw .unreadable(path: path, reason: "this is one file of the checkpoint folder \(parent); give the folder")
            }
            try self.init(SafeTensors(decoding: Self.contents(path), path: path), path: path)
        }
    }

    /// Why `stat` failed on `path`, called right after it: "no such file", a link to nothing named
    /// as such (`Path.lookUp`), or the system's words.
    static func statFailure(_ path: String, code: Int32 = errno) -> String {
        guard code == ENOENT || code == ENOTDIR else { return Path.errorText(code) }
        if case let .unreachable(reason) = Path.lookUp(path) { return reason }
        return "no such file"
    }

    /// The size of the regular file `path`, in bytes.
    static func fileBytes(_ path: String) throws(CheckpointError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .unreadable(path: path, reason: Self.statFailure(path))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        return Int(info.st_size)
    }

    /// A file's bytes, once its size fits in memory.
    static func contents(_ path: String) throws(CheckpointError) -> Data {
        let bytes = try fileBytes(path)
        do { try MemoryBudget.require(bytes, for: "reading the file") } catch { throw .tooLarge(path: path, reason: error) }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: "not readable")
        }
    }

    /// The tensor that holds flat index `index` of a `layout`-shaped buffer, and the index in it.
    static func locate(_ index: Int, in layout: ParameterLayout) -> (name: String, index: Int) {
        let tensor = layout.tensors.first { $0.range.contains(index) }!
        return (tensor.name, index - tensor.range.lowerBound)
    }

    /// Throws `nonFinite` for the first NaN or infinity in the parameters or the optimizer state,
    /// and `nonFiniteField` for a loss sum that is not finite.
    func checkFinite(path: String) throws(CheckpointError) {
        let names = Self.stateNames(configuration.optimizer.kind)
        for (prefix, buffer) in [("", state.parameters), (names.first.map { $0 + "." } ?? "", state.firstMoment),
                                 (names.last.map { $0 + "." } ?? "", state.secondMoment)] {
            if let bad = buffer.firstIndex(where: { !$0.isFinite }) {
                let (name, index) = Self.locate(bad, in: state.layout)
                throw .nonFinite(path: path, name: prefix + name, index: index, value: buffer[bad])
            }
        }
        guard epochLossSum.isFinite else {
            throw .nonFiniteField(path: path, field: "epoch_loss_sum", value: epochLossSum)
        }
    }
}
