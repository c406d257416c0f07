import ArgumentParser
import Thinned

/// Where the data comes from.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: ArgumentHelp(
        "A folder with the four IDX files (MNIST, Fashion-MNIST, KMNIST…, gzipped or not), or 'synthetic' (default: \(DataSplit.defaultDirectory); a resumed run: the checkpoint's).",
        valueName: "dir"))
    var source: String?

    @Option(help: "Use only the first N training samples (quick runs).")
    var limit: Int?

    /// The folder (or `synthetic`) to read: `--data`, or the default.
    var data: String { source ?? DataSplit.defaultDirectory }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    /// Loads the data for a model with `features` inputs and `classes` outputs.
    func load(features: Int, classes: Int, seed: UInt64) throws -> DataSplit {
        try Self.load(data, limit: limit, features: features, classes: classes, seed: seed)
    }

    /// Loads `data` (a folder of IDX files, or `synthetic`), keeping the first `limit` training
    /// samples when given.
    static func load(_ data: String, limit: Int?, features: Int, classes: Int, seed: UInt64,
                     syntheticTrainCount: Int = 2000) throws -> DataSplit {
        var split: DataSplit
        if data == "synthetic" {
            split = DataSplit.synthetic(features: features, classes: classes, trainCount: syntheticTrainCount, seed: seed)
        } else {
            do {
                split = try DataSplit.idx(directory: data, features: features, classes: classes)
            } catch {
                if data == DataSplit.defaultDirectory, case .missingDirectory = error {
                    throw CommandFailure("\(error)\nInstall it with Tools/setup (Debian package dataset-fashion-mnist), or pass --data DIR or --data synthetic.")
                }
                throw error
            }
            // The labels say how many classes the data have; an output layer of another width
            // would train outputs no label ever asks for.
            let seen = max(split.train.labels.max() ?? 0, split.test.labels.max() ?? 0) + 1
            if Int(seen) != classes {
                throw ValidationError("--layers: the output layer has \(classes) units; expected \(seen), one per class of the data in \(data) (labels 0…\(seen - 1))")
            }
        }
        if let limit { split = DataSplit(train: split.train.prefix(limit), test: split.test, files: split.files) }
        return split
    }
}
