import ArgumentParser
import Foundation
import Parallel
import Thinned

/// `thinned train`: Algorithm 5-8 on the pinned pool, epoch after epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP with per-sample dropout masks and gradients (default: the course's reference model on Fashion-MNIST)."
    )

    @OptionGroup(title: "Model and training") var training: TrainOptions
    @Option(help: "Samples per mini-batch (the last partial batch of an epoch is dropped).") var batch: Int = 100
    @Option(help: "Passes over the training set.") var epochs: Int = 15
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Worker pool") var pool: PoolOptions

    @Option(help: ArgumentHelp("Append one JSON object per epoch to this file.", valueName: "file"))
    var metrics: String?

    @Option(help: ArgumentHelp("Write the run to this safetensors file at the end, every --checkpoint-every epochs, and when interrupted (default when interrupted: thinned.safetensors, or the --resume file).", valueName: "file"))
    var checkpoint: String?

    @Option(help: "Also write the checkpoint every N epochs.")
    var checkpointEvery: Int?

    @Option(help: "Also write the checkpoint every N steps.")
    var checkpointEverySteps: Int?

    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint (its model, optimizer, batch and seed); --epochs is the total.", valueName: "file"))
    var resume: String?

    @Option(help: .hidden)
    var stopAfter: Int?

    func validate() throws {
        _ = try configuration()
        for (option, value) in [("--checkpoint-every", checkpointEvery), ("--checkpoint-every-steps", checkpointEverySteps),
                                ("--stop-after", stopAfter)] {
            if let value, value < 1 { throw ValidationError("\(option) must be at least 1, got \(value)") }
        }
    }

    func run() throws {
        let saved = try resume.map { path in
            do { return try Checkpoint(path: path) } catch { throw ValidationError("--resume \(error)") }
        }
        var configuration = try configuration()
        if let saved {
            configuration = saved.configuration
            configuration.epochs = epochs
        }
        let model = configuration.model
        let split = try data.load(features: model.inputs, classes: model.classes, seed: configuration.seed)
        let metricsFile = try metrics.map(MetricsFile.init(path:))
        if let path = checkpoint {
            do { try Checkpoint.prepareDestination(path) } catch { throw ValidationError("--checkpoint \(error)") }
        }
        let workers = try WorkerPool.start(threads: pool.threads, bind: pool.bind, places: pool.places,
                                           oversubscribe: pool.oversubscribe)
        let trainer: Trainer
        do {
            trainer = try Trainer(configuration: configuration, data: split, pool: workers, resumingFrom: saved)
        } catch {
            throw ValidationError(error.description)
        }

        print(Self.header(configuration, split: split, pool: workers))
        if let saved, let resume {
            print("resumed: \(resume) at epoch \(saved.epoch + 1), step \(saved.stepInEpoch) of it (\(saved.state.step) steps done); model, optimizer, batch and seed come from the checkpoint")
        }
        BLASCheck.warnIfGeneric()
        StopSignal.install()
        let checkpointPath = checkpoint ?? resume
        let progress = ProgressReporter(epochs: configuration.epochs)
        let startStep = trainer.state.step
        while trainer.epoch < configuration.epochs {
            let report = try trainer.trainEpoch(onStep: { step in
                progress.step(step)
                if let every = checkpointEverySteps, let checkpointPath, trainer.state.step % every == 0 {
                    do { try trainer.checkpoint.write(to: checkpointPath) } catch {
                        FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
                    }
                }
            }, shouldStop: { StopSignal.received != nil || stopAfter.map { trainer.state.step - startStep >= $0 } ?? false })
            progress.finishEpoch()
            guard let report else { return try stop(trainer, path: checkpointPath ?? "thinned.safetensors") }
            print(String(format: "epoch %d/%d  train loss %.4f  test accuracy %.2f%%  test loss %.4f  %.0f samples/s  %.1f s",
                         report.epoch, configuration.epochs, report.trainLoss, report.testAccuracy * 100,
                         report.testLoss, report.samplesPerSecond, report.seconds))
            try metricsFile?.append(report)
            if let every = checkpointEvery, let checkpointPath, report.epoch % every == 0, report.epoch < configuration.epochs {
                try trainer.checkpoint.write(to: checkpointPath)
            }
            fflush(nil)
        }
        if let checkpointPath {
            try trainer.checkpoint.write(to: checkpointPath)
            print("checkpoint: \(checkpointPath)")
        }
        let test = trainer.evaluate(split.test)
        print(String(format: "test accuracy: %.2f%% (%d of %d)", test.accuracy * 100, test.correct, test.count))
        print("weights sha256: \(trainer.weightsDigest)")
    }

    /// Writes the checkpoint after an interruption and says how to resume.
    private func stop(_ trainer: Trainer, path: String) throws {
        try trainer.checkpoint.write(to: path)
        let why = StopSignal.received.map { "interrupted (\($0))" } ?? "stopped after \(stopAfter ?? 0) steps"
        print("\(why) at epoch \(trainer.epoch + 1), step \(trainer.stepInEpoch); checkpoint written to \(path)")
        print("resume with: thinned train --resume \(path) --epochs \(epochs)" + (data.data == DataSplit.defaultDirectory ? "" : " --data \(data.data)"))
        fflush(nil)
        throw ExitCode(StopSignal.received.map { 128 + $0.number } ?? 3)
    }

    func configuration() throws -> TrainingConfiguration {
        try training.configuration(batch: batch, epochs: epochs, defaultOptimizer: .adam)
    }

    static func header(_ configuration: TrainingConfiguration, split: DataSplit, pool: WorkerPool) -> String {
        let model = configuration.model
        let parameters = ParameterLayout(widths: model.layers).count
        let dropout = model.dropout == .none ? "no dropout"
            : "\(model.dropout.rawValue) dropout p_input \(model.inputDropRate) p_hidden \(model.hiddenDropRate)"
        let optimizer = configuration.optimizer
        let pinned = pool.bindings.filter(\.isPinned).count
        return """
            model: \(model.layers.map(String.init).joined(separator: "-")) (\(parameters) parameters), ReLU, \(dropout), \(model.initialization.rawValue) init
            training: \(optimizer.kind.rawValue) lr \(optimizer.learningRate), batch \(configuration.batchSize), \(configuration.epochs) epochs, seed \(configuration.seed), \(configuration.gradientMode.rawValue) gradients
            data: \(split.train.name) \(split.train.count), \(split.test.name) \(split.test.count)
            pool: \(pool.count) workers, --bind \(pool.plan.bind.rawValue) --places \(pool.plan.places.rawValue), \(pinned) pinned; OpenBLAS \(BLAS.coreName) kernel, single-threaded per worker
            """
    }
}

/// Appends one JSON object per line.
struct MetricsFile {
    let path: String
    let handle: FileHandle

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("--metrics \(path): cannot create the file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("--metrics \(path): cannot open the file for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func append<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        handle.write(try encoder.encode(value) + Data("\n".utf8))
    }
}
