import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Parallel
import Thinned

/// `thinned ensemble`: trains K members one after another on the whole pool, each saved as a checkpoint.
struct EnsembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Train an ensemble: K members with different seeds, or on bootstrap resamples (bagging); evaluate it with thinned evaluate --ensemble DIR."
    )

    @Option(help: "Number of members.")
    var members: Int = 5

    @Option(help: "seed (each member its own seed) or bagging (its own seed and bootstrap resample of the training set).")
    var vary: Ensemble.Variation = .seed

    @Option(help: ArgumentHelp("Folder for the members' checkpoints (checkpoint folders member-1, member-2, …).", valueName: "dir"))
    var out: String

    @Option(help: "Samples per mini-batch.") var batch: Int = 100
    @Option(help: "Passes over the training set, per member.") var epochs: Int = 15
    @OptionGroup(title: "Model and training") var training: TrainOptions
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Worker pool") var pool: PoolOptions

    func validate() throws {
        if members < 1 { throw ValidationError("--members must be at least 1, got \(members)") }
        if let given = training.privacyOptions.first {
            // Each member would spend its own ε on overlapping resamples; nothing here composes them.
            throw ValidationError("\(given): ensemble does not account privacy across its members; train DP-SGD models with thinned train")
        }
        _ = try training.configuration(batch: batch, epochs: epochs, defaultOptimizer: .adam)
    }

    func run() throws {
        let base = try training.configuration(batch: batch, epochs: epochs, defaultOptimizer: .adam)
        let folder = try OutputFolder(path: out)
        let split = try data.load(features: base.model.inputs, classes: base.model.classes, seed: base.seed)
        // Recorded in every member, so that `evaluate --ensemble` tests on the data they learned from
        // (a bagging member's resample is a function of its seed and number, not data of its own).
        let identity = DatasetIdentity(split, source: data.data, limit: data.limit)
        let workers = try pool.startForBLAS()
        print("ensemble: \(members) members, vary \(vary.rawValue), \(epochs) epochs each, into \(folder.path)")
        for member in 1...members {
            var configuration = base
            configuration.seed = Ensemble.seed(base.seed, member: member - 1)
            let train = vary == .bagging ? Ensemble.bootstrap(split.train, member: member - 1, seed: base.seed) : split.train
            let trainer: Trainer
            do {
                trainer = try Trainer(configuration: configuration, data: DataSplit(train: train, test: split.test), pool: workers)
            } catch { throw ValidationError(error.description) }
            trainer.dataIdentity = identity
            var last: Trainer.EpochReport?
            while trainer.epoch < epochs { last = try trainer.trainEpoch() }
            let path = "\(folder.path)/member-\(member)"
            try trainer.checkpoint.write(to: path)
            print("member \(member) (seed \(configuration.seed)\(vary == .bagging ? ", bootstrap" : "")): test accuracy "
                  + "\(Format.fixed((last?.testAccuracy ?? 0) * 100, 2))%, \(Format.fixed(last?.samplesPerSecond ?? 0, 0)) samples/s → \(path)")
            fflush(nil)
        }
        print("evaluate with: thinned evaluate --ensemble \(folder.path)" + (data.data == DataSplit.defaultDirectory ? "" : " --data \(data.data)"))
    }
}

extension Ensemble.Variation: ExpressibleByArgument {}
