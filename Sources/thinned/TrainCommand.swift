import ArgumentParser
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
import Parallel
import Thinned

/// `thinned train`: Algorithm 5-8 on the pinned pool, epoch after epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP with per-sample dropout masks and gradients (default: the course's reference model on Fashion-MNIST)."
    )

    @OptionGroup(title: "Model and training") var training: TrainOptions
    @Option(help: "Samples per mini-batch; the last partial batch of an epoch is dropped (default: 100).") var batch: Int?
    @Option(help: "Passes over the training set (with --resume: the total, counting the epochs done).") var epochs: Int = 15
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Worker pool") var pool: PoolOptions

    @Option(help: ArgumentHelp("Append one JSON object per epoch to this file.", valueName: "file"))
    var metrics: String?

    @Option(help: ArgumentHelp("Write the run to this checkpoint at the end, every --checkpoint-every epochs, and when interrupted (a folder: model.safetensors, optimizer.safetensors, trainer_state.json; default when interrupted: thinned-checkpoint, or the --resume checkpoint).", valueName: "path"))
    var checkpoint: String?

    @Option(help: "Also write the checkpoint every N epochs (needs --checkpoint or --resume).")
    var checkpointEvery: Int?

    @Option(help: "Also write the checkpoint every N steps (needs --checkpoint or --resume).")
    var checkpointEverySteps: Int?

    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint: its model, optimizer, batch, seed and data; --epochs is the total.", valueName: "path"))
    var resume: String?

    @Option(help: "DP-SGD: choose the noise multiplier σ that spends at most this ε (at --delta) over the planned --epochs, as Opacus's get_noise_multiplier does (needs --clip; not with --noise-multiplier).")
    var targetEpsilon: Double?

    @Flag(help: "Measure every sample's gradient norm each step and add to each epoch's line and metrics: quantiles of the norms, the fraction clipped, and the gradient noise scale B_simple.")
    var perSampleStats = false

    @Option(help: .hidden)
    var stopAfter: Int?

    func validate() throws {
        if resume == nil { try training.requireNoiseForItsOptions(try configuration(), choosesNoise: targetEpsilon != nil) }
        if let targetEpsilon {
            guard targetEpsilon.isFinite && targetEpsilon > 0 else {
                throw ValidationError("--target-epsilon \(targetEpsilon): expected a finite ε above 0")
            }
            if resume != nil {
                throw ValidationError("--target-epsilon \(targetEpsilon): a resumed run keeps the σ of its checkpoint")
            }
            guard training.clip != nil else { throw ValidationError("--target-epsilon \(targetEpsilon): needs --clip C (the noise is σ·C)") }
            if let sigma = training.noiseMultiplier {
                throw ValidationError("--target-epsilon \(targetEpsilon) and --noise-multiplier \(sigma): give one; the target chooses σ")
            }
        }
        for (option, value) in [("--checkpoint-every", checkpointEvery), ("--checkpoint-every-steps", checkpointEverySteps),
                                ("--stop-after", stopAfter)] {
            if let value, value < 1 { throw ValidationError("\(option) must be at least 1, got \(value)") }
        }
        if checkpoint == nil && resume == nil {
            for (option, value) in [("--checkpoint-every", checkpointEvery), ("--checkpoint-every-steps", checkpointEverySteps)] {
                if let value { throw ValidationError("\(option) \(value): there is no checkpoint to write; give --checkpoint PATH") }
            }
        }
    }

    func run() throws {
        let communicator = try Launch.communicator()
        let rank = communicator.rank
        let check = try resume.map { path in
            do { return ResumeCheck(path: path, saved: try Checkpoint(path: path)) } catch { throw CommandFailure("--resume \(error)") }
        }
        let saved = check?.saved
        var configuration: TrainingConfiguration
        let source: (source: String, limit: Int?)
        if let check {
            configuration = try training.configuration(batch: batch, epochs: epochs, base: check.saved.configuration)
            try check.check(configuration)
            source = try check.data(data)
            if check.saved.dataIdentity == nil {
                StandardError.warn("\(check.path) does not record the data it was trained on (a checkpoint of an earlier thinned): resuming on \(source.source)" + (source.limit.map { " (first \($0) samples)" } ?? "") + "; give --data and --limit as the original run did")
            }
        } else {
            configuration = try self.configuration()
            source = (data.data, data.limit)
            // Under a launcher the ranks sum exactly unless told otherwise (a resumed run keeps
            // its checkpoint's reduction: the Trainer refuses one that several ranks cannot share).
            if Launch.announcedSize != nil, training.reduce == nil, configuration.exactGroupSize == nil {
                configuration.exactGroupSize = configuration.groupSizeOrDefault
                do { try configuration.validate() } catch { throw ValidationError(error.description) }
            }
        }
        let model = configuration.model
        // Before the data are loaded: a model that cannot fit is refused at once.
        do { try Trainer.requireMemory(for: configuration, workers: pool.threads ?? ProcessInfo.processInfo.activeProcessorCount) } catch {
            throw ValidationError(error.description)
        }
        let split = try DataOptions.load(source.source, limit: source.limit, features: model.inputs, classes: model.classes,
                                         seed: configuration.seed)
        if let targetEpsilon {
            // The batch against the data first: the accountant needs a sampling rate of at most 1.
            do { try configuration.validate(for: split) } catch { throw ValidationError(error.description) }
            configuration = try Self.choosingNoise(for: targetEpsilon, configuration, split: split)
        }
        let identity = DatasetIdentity(split, source: source.source, limit: source.limit)
        try check?.check(identity)
        // A resumed run's key is its checkpoint's (the same file on every rank, or refused here).
        try Self.requireAgreement(communicator, configuration: configuration, identity: identity, split: split,
                                  noiseSeedGiven: training.noiseSeed != nil || resume != nil)
        if communicator.size > 1, var privacy = configuration.privacy {
            // One noise for all: rank 0's key (drawn by each rank unless --noise-seed gave it).
            withUnsafeMutableBytes(of: &privacy.noiseSeed) { communicator.broadcast($0) }
            configuration.privacy = privacy
        }
        var metricsFile = rank == 0 ? try metrics.map(MetricsFile.init(path:)) : nil
        let checkpointPath = checkpoint ?? resume
        if let checkpointPath, rank == 0 {
            // Found out now, not after hours of training.
            do { try Checkpoint.prepareDestination(checkpointPath) } catch { throw CommandFailure("--checkpoint \(error)") }
        }
        let workers = try pool.startForBLAS()
        let trainer: Trainer
        do {
            trainer = try Trainer(configuration: configuration, data: split, pool: workers, resumingFrom: saved,
                                  perSampleStatistics: perSampleStats, communicator: communicator)
        } catch {
            throw ValidationError(error.description)
        }
        trainer.dataIdentity = identity

        print(Self.header(configuration, split: split, pool: workers, communicator: communicator))
        if let saved, let resume {
            print("resumed: \(resume) at epoch \(saved.epoch + 1), step \(saved.stepInEpoch) of it (\(saved.state.step) steps done); model, optimizer, batch and seed\(saved.dataIdentity == nil ? "" : " and data") come from the checkpoint")
        }
        BLASCheck.warnIfGeneric()
        if configuration.privacy?.addsNoise == true, configuration.sampling == .shuffle { StandardError.warn(Self.samplingWarning) }
        StopSignal.install()
        // The header reaches a pipe now, not at the end of the first epoch.
        fflush(nil)
        let progress = ProgressReporter(epochs: configuration.epochs)
        let startStep = trainer.state.step
        var warnedLoss = false
        while trainer.epoch < configuration.epochs {
            let report: Trainer.EpochReport?
            do {
                report = try trainer.trainEpoch(onStep: { step in
                    progress.step(step)
                    // An epoch's last step is saved once the epoch is complete (below): a checkpoint
                    // records positions within an epoch, 0 ..< its steps.
                    if let every = checkpointEverySteps, let checkpointPath, trainer.state.step % every == 0, step.step < step.steps,
                       rank == 0 {
                        Self.save(trainer, to: checkpointPath)
                    }
                }, shouldStop: {
                    // Asked of every rank together: they stop after the same step.
                    communicator.any(StopSignal.received != nil || stopAfter.map { trainer.state.step - startStep >= $0 } ?? false)
                })
            } catch {
                progress.finishEpoch()
                fflush(nil)
                let kept = checkpointPath.map { Path.exists($0) ? " The last good checkpoint, \($0), is kept." : "" } ?? ""
                throw CommandFailure(error.description + kept)
            }
            progress.finishEpoch()
            guard let report else { return try stop(trainer, path: checkpointPath ?? Self.unusedDefaultPath(), source: source) }
            print("epoch \(report.epoch)/\(configuration.epochs)  train loss \(Format.fixed(report.trainLoss, 4))  "
                  + "test accuracy \(Format.fixed(report.testAccuracy * 100, 2))%  test loss \(Format.fixed(report.testLoss, 4))  "
                  + "\(Format.fixed(report.samplesPerSecond, 0)) samples/s  \(Format.fixed(report.seconds, 1)) s  "
                  + "(median step \(Format.fixed(report.medianStepSeconds * 1000, 2)) ms: "
                  + "\(Format.fixed(report.medianStepSeconds > 0 ? Double(configuration.batchSize) / report.medianStepSeconds : 0, 0)) samples/s)"
                  + (configuration.privacy?.addsNoise == true
                      ? "  ε \(report.epsilon.map(Self.formatEpsilon) ?? "∞") (δ \(configuration.privacy!.delta))" : "")
                  + (report.perSample.map(Self.describe) ?? ""))
            if !warnedLoss, let warning = Self.lossWarning(report, classes: model.classes) {
                warnedLoss = true
                StandardError.warn(warning)
            }
            do { try metricsFile?.append(report) } catch {
                // The run goes on: its checkpoints matter more than the metrics.
                StandardError.warn("\(error); no more metrics are written")
                metricsFile = nil
            }
            let everySteps = checkpointEverySteps.map { trainer.state.step % $0 == 0 } ?? false
            if let checkpointPath, rank == 0, report.epoch < configuration.epochs,
               everySteps || checkpointEvery.map({ report.epoch % $0 == 0 }) ?? false {
                Self.save(trainer, to: checkpointPath)
            }
            fflush(nil)
            // Asked between epochs too: an epoch of one step never asks within it.
            if trainer.epoch < configuration.epochs,
               communicator.any(StopSignal.received != nil || stopAfter.map({ trainer.state.step - startStep >= $0 }) ?? false) {
                return try stop(trainer, path: checkpointPath ?? Self.unusedDefaultPath(), source: source)
            }
        }
        if let checkpointPath, rank == 0 {
            try trainer.checkpoint.write(to: checkpointPath)
            print("checkpoint: \(checkpointPath)")
        }
        let test = trainer.evaluate(split.test)
        print("test accuracy: \(Format.fixed(test.accuracy * 100, 2))% (\(test.correct) of \(test.count))")
        print("weights sha256: \(trainer.weightsDigest)")
    }

    /// ε as a person reads it: three decimals, or four significant digits once it is large.
    static func formatEpsilon(_ epsilon: Double) -> String {
        epsilon < 1000 ? Format.fixed(epsilon, 3) : Format.significant(epsilon, 4)
    }

    /// The per-sample part of an epoch's line.
    static func describe(_ statistics: PerSampleStatistics) -> String {
        let quantiles = statistics.normQuantiles.map { Format.significant($0, 3) }.joined(separator: "/")
        return "  ‖∇ᵢ‖ min/10%/50%/90%/max \(quantiles)"
            + (statistics.clippedFraction.map { "  clipped \(Format.fixed($0 * 100, 1))%" } ?? "")
            + "  B_simple " + (statistics.noiseScale.map { Format.significant($0, 3) } ?? "n/a (batches of one sample, or the estimate of |G|² is not positive)")
    }

    /// A finite blow-up: an epoch's mean training loss far above ln(classes), the loss of a
    /// uniform guess, which any trained model beats. Ten times is far beyond what dropout noise
    /// gives at the first epoch.
    static func lossWarning(_ report: Trainer.EpochReport, classes: Int) -> String? {
        let uniform = log(Double(classes))
        guard report.trainLoss > 10 * uniform else { return nil }
        return "epoch \(report.epoch)'s mean training loss \(Format.significant(report.trainLoss, 3)) is far above ln(\(classes)) = "
            + "\(Format.fixed(uniform, 2)), the loss of a uniform guess: the run is blowing up; try a lower --lr"
    }

    /// A periodic save: one that fails is reported and the run goes on (the final save, and the
    /// one on a stop, must succeed).
    static func save(_ trainer: Trainer, to path: String) {
        do { try trainer.checkpoint.write(to: path) } catch { StandardError.warn("\(error); training goes on") }
    }

    /// Writes the checkpoint after an interruption and says how to resume.
    private func stop(_ trainer: Trainer, path: String, source: (source: String, limit: Int?)) throws {
        if trainer.communicator.rank == 0 { try trainer.checkpoint.write(to: path) }
        let why = StopSignal.received.map { "interrupted (\($0))" } ?? "stopped after \(stopAfter ?? 0) steps"
        print("\(why) at epoch \(trainer.epoch + 1), step \(trainer.stepInEpoch); checkpoint written to \(path)")
        print("resume with: " + Self.resumeCommand(path: path, epochs: epochs, data: source.source, limit: source.limit))
        fflush(nil)
        throw ExitCode(StopSignal.received.map { 128 + $0.number } ?? 3)
    }

    /// `configuration` with the noise multiplier that spends `target` over its planned steps on
    /// `split` (Opacus's search), or an error when no σ up to 10⁶ does.
    static func choosingNoise(for target: Double, _ configuration: TrainingConfiguration, split: DataSplit) throws -> TrainingConfiguration {
        var result = configuration
        let privacy = configuration.privacy!
        let steps = configuration.epochs * (split.train.count / configuration.batchSize)
        guard let sigma = PrivacyAccountant.noiseMultiplier(targetEpsilon: target, delta: privacy.delta,
                                                            samplingRate: configuration.samplingRate(trainingSamples: split.train.count),
                                                            steps: steps) else {
            throw ValidationError("--target-epsilon \(target): no noise multiplier up to 10⁶ spends so little over \(steps) steps at batch \(configuration.batchSize) of \(split.train.count) samples; raise the target or --delta, or train fewer --epochs")
        }
        result.privacy!.noiseMultiplier = sigma
        return result
    }

    func configuration() throws -> TrainingConfiguration {
        try training.configuration(batch: batch, epochs: epochs, defaultOptimizer: .adam)
    }
}
