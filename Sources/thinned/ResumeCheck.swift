import Thinned

/// What a resumed run may and may not change: everything that defined the run (model, optimizer,
/// batch, seed, gradient mode, shard, augmentation, clipping and noise, data) comes from the checkpoint, and an option
/// that contradicts it is refused naming the option and both values. Only the number of epochs,
/// the pool, the checkpoint cadence and the metrics file may change.
struct ResumeCheck {
    /// The checkpoint's path, as given to `--resume`.
    let path: String
    let saved: Checkpoint

    static let mayChange = "a resumed run may change only --epochs, --threads, --bind, --places, --oversubscribe, the checkpoint cadence, --metrics and --per-sample-stats"

    /// Refuses `requested` (the options applied on top of the checkpoint's configuration) where it
    /// differs from the checkpoint's.
    func check(_ requested: TrainingConfiguration) throws {
        let old = saved.configuration
        func list(_ widths: [Int]) -> String { widths.map(String.init).joined(separator: ",") }
        func transforms(_ a: Augmentation) -> String { a.isEnabled ? a.transforms.map(\.rawValue).sorted().joined(separator: ",") : "none" }
        let fields: [(option: String, requested: String, saved: String)] = [
            ("--layers", list(requested.model.layers), list(old.model.layers)),
            ("--dropout", requested.model.dropout.rawValue, old.model.dropout.rawValue),
            ("--p-input", "\(requested.model.inputDropRate)", "\(old.model.inputDropRate)"),
            ("--p-hidden", "\(requested.model.hiddenDropRate)", "\(old.model.hiddenDropRate)"),
            ("--init", requested.model.initialization.rawValue, old.model.initialization.rawValue),
            ("--optimizer", requested.optimizer.kind.rawValue, old.optimizer.kind.rawValue),
            ("--lr", "\(requested.optimizer.learningRate)", "\(old.optimizer.learningRate)"),
            ("--momentum", "\(requested.optimizer.momentum)", "\(old.optimizer.momentum)"),
            ("--batch", "\(requested.batchSize)", "\(old.batchSize)"),
            ("--seed", "\(requested.seed)", "\(old.seed)"),
            ("--grad-mode", requested.gradientMode.rawValue, old.gradientMode.rawValue),
            ("--shard", "\(requested.shardSize)", "\(old.shardSize)"),
            ("--augment", transforms(requested.augmentation), transforms(old.augmentation)),
            ("--shift-px", "\(requested.augmentation.shiftPixels)", "\(old.augmentation.shiftPixels)"),
            ("--rotate-deg", "\(requested.augmentation.rotateDegrees)", "\(old.augmentation.rotateDegrees)"),
            ("--erase-size", "\(requested.augmentation.eraseSize)", "\(old.augmentation.eraseSize)"),
            ("--sampling", requested.sampling.rawValue, old.sampling.rawValue),
            ("--reduce", requested.exactGroupSize == nil ? "tiles" : "exact", old.exactGroupSize == nil ? "tiles" : "exact"),
            ("--group-size", requested.exactGroupSize.map(String.init) ?? "none", old.exactGroupSize.map(String.init) ?? "none"),
            ("--clip", requested.privacy.map { "\($0.clipNorm)" } ?? "none", old.privacy.map { "\($0.clipNorm)" } ?? "none"),
            ("--noise-multiplier", "\(requested.privacy?.noiseMultiplier ?? 0)", "\(old.privacy?.noiseMultiplier ?? 0)"),
            ("--delta", requested.privacy.map { "\($0.delta)" } ?? "none", old.privacy.map { "\($0.delta)" } ?? "none"),
            ("--noise-seed", requested.privacy.map { "\($0.noiseSeed)" } ?? "none", old.privacy.map { "\($0.noiseSeed)" } ?? "none"),
        ]
        for field in fields where field.requested != field.saved {
            if field.option == "--noise-seed" {
                // Not echoed: the key removes the noise.
                throw CommandFailure("--noise-seed contradicts the run in \(path), whose noise has another key; \(Self.mayChange)")
            }
            throw CommandFailure("\(field.option) \(field.requested) contradicts the run in \(path), trained with \(field.option) \(field.saved); \(Self.mayChange)")
        }
        var expected = old
        expected.epochs = requested.epochs
        precondition(expected == requested, "ResumeCheck: a configuration field without an option differs")
        guard requested.epochs > saved.epoch else {
            throw CommandFailure("--epochs \(requested.epochs): the run in \(path) has already done \(saved.epoch) epoch\(saved.epoch == 1 ? "" : "s")\(saved.stepInEpoch > 0 ? " and \(saved.stepInEpoch) steps of the next" : ""); give the total, more than \(saved.epoch), to train further")
        }
    }

    /// The data to read: `--data` and `--limit` when given, else what the checkpoint recorded.
    func data(_ options: DataOptions) throws -> (source: String, limit: Int?) {
        guard let identity = saved.dataIdentity else { return (options.data, options.limit) }
        if let limit = options.limit, limit != identity.limit {
            let trained = identity.limit.map { "--limit \($0)" } ?? "all \(identity.trainCount) training samples (no --limit)"
            throw CommandFailure("--limit \(limit) contradicts the run in \(path), trained on \(trained); \(Self.mayChange)")
        }
        return (options.source ?? identity.source, options.limit ?? identity.limit)
    }

    /// Refuses data that are not the ones the run was trained on (another folder may hold a copy).
    func check(_ identity: DatasetIdentity) throws {
        guard let trained = saved.dataIdentity, trained.digest != identity.digest || trained.trainCount != identity.trainCount
            || trained.testCount != identity.testCount else { return }
        func describe(_ d: DatasetIdentity) -> String {
            "\(d.source) (\(d.trainCount) training and \(d.testCount) test samples, sha256 \(d.digest.prefix(12))…)"
        }
        throw CommandFailure("--data \(describe(identity)) contradicts the run in \(path), trained on \(describe(trained)); \(Self.mayChange)")
    }
}
