import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Parallel
import Thinned

/// `thinned evaluate`: a checkpoint's accuracy, likelihood, calibration and confusion, by the
/// course's prediction rules.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint on the test set: accuracy, mean NLL, expected calibration error, confusion matrix."
    )

    enum Inference: String, ExpressibleByArgument, CaseIterable {
        case scale, mc, compare, exact
    }

    @Option(help: ArgumentHelp("The checkpoint written by thinned train (a checkpoint folder, or a single safetensors file of older versions).", valueName: "path"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("A folder of member checkpoints (thinned ensemble: checkpoint folders, or older single .safetensors files): each member's accuracy beside the ensemble's, by averaging probabilities and by majority vote.", valueName: "dir"))
    var ensemble: String?

    @Option(help: ArgumentHelp("A folder with the four IDX files, or 'synthetic' (default: the data the checkpoint records, else Fashion-MNIST).", valueName: "dir"))
    var data: String?

    @Option(help: "Evaluate on the first N test items only.")
    var limit: Int?

    @Option(help: "scale (weight scaling), mc (Monte-Carlo dropout over --samples masked passes), compare (scale beside mc with T = 1, 10, 100), or exact (every mask; tiny nets only).")
    var inference: Inference = .scale

    @Option(help: "Masked passes for --inference mc.")
    var samples: Int = 100

    @Option(help: "Seed of the Monte-Carlo masks (default: the run's).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Write each test item's label, prediction and class probabilities (first rule) to this CSV file.", valueName: "file"))
    var predictions: String?

    @OptionGroup(title: "Worker pool") var pool: PoolOptions

    func validate() throws {
        if (checkpoint == nil) == (ensemble == nil) { throw ValidationError("give --checkpoint FILE or --ensemble DIR (one of them)") }
        // An ensemble is evaluated by weight scaling alone: an option that would do nothing is refused.
        if ensemble != nil, inference != .scale || predictions != nil || seed != nil {
            let given = inference != .scale ? "--inference \(inference.rawValue)" : predictions != nil ? "--predictions" : "--seed"
            throw ValidationError("\(given) applies to --checkpoint; --ensemble evaluates every member and the ensemble by weight scaling")
        }
        if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        if let ensemble { return try evaluate(ensemble: ensemble) }
        guard let checkpoint else { return }
        let saved: Checkpoint
        do { saved = try Checkpoint(path: checkpoint) } catch { throw ValidationError("--checkpoint \(error)") }
        let model = saved.configuration.model
        if inference == .exact, !ExactEnsemble.enumerates(model) {
            throw ValidationError("--inference exact: enumerating DropConnect's weight masks is not supported; use --inference mc")
        }
        if inference == .exact, ExactEnsemble.droppableUnits(model) > ExactEnsemble.maximumUnits {
            throw ValidationError("--inference exact: the model has \(ExactEnsemble.droppableUnits(model)) droppable units; at most \(ExactEnsemble.maximumUnits) can be enumerated (2^n passes per item)")
        }
        // Found out now, not after the evaluation.
        if let predictions { try Self.checkWritable(predictions: predictions) }
        // The test set of the data the run trained on, unless told otherwise.
        let source = data ?? saved.dataIdentity?.source ?? DataSplit.defaultDirectory
        var test = try DataOptions.load(source, limit: nil, features: model.inputs, classes: model.classes,
                                        seed: saved.configuration.seed).test
        if let limit { test = test.prefix(limit) }
        if data == nil, let identity = saved.dataIdentity, limit == nil, test.count != identity.testCount {
            StandardError.warn("\(source) now has \(test.count) test items; the run recorded \(identity.testCount)")
        }
        let workers = try pool.startForBLAS()

        print("checkpoint: \(checkpoint) (\(model.layers.map(String.init).joined(separator: "-")), \(model.dropout.rawValue) dropout p_input \(model.inputDropRate) p_hidden \(model.hiddenDropRate); \(saved.epoch) epochs, \(saved.state.step) steps)")
        print("data: \(test.name) \(test.count)")
        let rules: [(String, InferenceRule)] = switch inference {
        case .scale: [("weight scaling", .weightScaling)]
        case .mc: [("MC dropout, T=\(samples)", .monteCarlo(samples: samples))]
        case .exact: [("exact ensemble mean", .exact)]
        case .compare: [("weight scaling", .weightScaling), ("MC dropout, T=1", .monteCarlo(samples: 1)),
                        ("MC dropout, T=10", .monteCarlo(samples: 10)), ("MC dropout, T=100", .monteCarlo(samples: 100))]
        }
        print("rule                  accuracy   mean NLL   ECE      seconds")
        var first: Evaluation?
        for (name, rule) in rules {
            let start = Clock.seconds()
            let probabilities = saved.probabilities(test, rule: rule, pool: workers, seed: seed)
            let result = Evaluation(probabilities: probabilities, labels: test.labels, classes: model.classes)
            if first == nil, let predictions {
                try Self.write(predictions: probabilities, labels: test.labels, classes: model.classes, to: predictions)
            }
            first = first ?? result
            print(Format.left(name, 22) + Format.fixed(result.accuracy * 100, 2, width: 6) + "%    " + Format.fixed(result.meanLoss, 4)
                  + "     " + Format.fixed(result.calibrationError, 4) + "   " + Format.fixed(Clock.seconds() - start, 1))
            fflush(nil)
        }
        if let first {
            print("confusion matrix (\(rules[0].0); rows: true class, columns: predicted):")
            print("      " + (0..<model.classes).map { Format.right($0, 6) }.joined())
            for (truth, row) in first.confusion.enumerated() {
                print(Format.right(truth, 6) + row.map { Format.right($0, 6) }.joined())
            }
        }
    }

    /// Refuses a `--predictions` path that cannot be written, before anything is computed.
    static func checkWritable(predictions path: String) throws {
        let folder = Path.folder(of: path)
        if Path.isFolder(path) {
            throw ValidationError("--predictions \(path): is a folder; give a file name")
        }
        guard Path.isFolder(folder), access(folder, W_OK) == 0 else {
            throw ValidationError("--predictions \(path): the folder \(folder) does not exist or is not writable")
        }
    }

    /// One line per item: index, label, predicted class, then every class's probability.
    static func write(predictions probabilities: [Float], labels: [Int32], classes: Int, to path: String) throws {
        var text = "item,label,predicted," + (0..<classes).map { "p\($0)" }.joined(separator: ",") + "\n"
        for (i, label) in labels.enumerated() {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            let predicted = Evaluation.prediction(row).predicted
            text += "\(i),\(label),\(predicted)," + row.map { "\($0)" }.joined(separator: ",") + "\n"
        }
        do { try OutputFile.write(Array(text.utf8), to: path) } catch {
            throw ValidationError("--predictions \(path): cannot write the file (\(error))")
        }
    }

    /// Every member's accuracy, then the ensemble's by averaging and by voting (weight scaling).
    func evaluate(ensemble folder: String) throws {
        // A folder or its files, not an option, is wrong here: CommandFailure.
        switch Path.lookUpFolder(folder) {
        case .found: break
        case .missing: throw CommandFailure("--ensemble \(folder): no such folder")
        case let .unreachable(reason): throw CommandFailure("--ensemble \(folder): cannot read: \(reason)")
        }
        guard let entries = Path.entries(of: folder) else {
            throw CommandFailure("--ensemble \(folder): cannot read the folder: \(SystemError())")
        }
        // Members are checkpoint folders (a trainer_state.json inside) or single files of format 1.
        // A member that cannot be looked into stops the evaluation: left out, it would change the
        // ensemble without a word.
        var files: [String] = []
        for name in entries where !name.hasPrefix(".") {
            let member = Path.joined(folder, name)
            if case let .unreachable(reason) = Path.lookUp(member) { throw CommandFailure("--ensemble \(member): cannot read: \(reason)") }
            if name.hasSuffix(".safetensors") { files.append(name); continue }
            switch Path.lookUp(Path.joined(member, CheckpointFolder.trainerStateFile)) {
            case .found: files.append(name)
            case .missing: continue
            case let .unreachable(reason): throw CommandFailure("--ensemble \(member): cannot read: \(reason)")
            }
        }
        files.sort(by: NaturalOrder.precedes)
        guard !files.isEmpty else { throw CommandFailure("--ensemble \(folder): no checkpoints in the folder") }
        let members = try files.map { name in
            do { return try Checkpoint(path: Path.joined(folder, name)) } catch { throw CommandFailure("--ensemble \(error)") }
        }
        let model = members[0].configuration.model
        guard members.allSatisfy({ $0.configuration.model.layers == model.layers }) else {
            throw CommandFailure("--ensemble \(folder): the members do not share one architecture")
        }
        let source = data ?? members[0].dataIdentity?.source ?? DataSplit.defaultDirectory
        var test = try DataOptions.load(source, limit: nil, features: model.inputs, classes: model.classes,
                                        seed: members[0].configuration.seed).test
        if let limit { test = test.prefix(limit) }
        let workers = try pool.startForBLAS()
        print("ensemble: \(folder), \(members.count) members (\(model.layers.map(String.init).joined(separator: "-"))); data: \(test.name) \(test.count)")
        var outputs: [[Float]] = []
        for (name, member) in zip(files, members) {
            let probabilities = member.probabilities(test, rule: .weightScaling, pool: workers)
            outputs.append(probabilities)
            let result = Evaluation(probabilities: probabilities, labels: test.labels, classes: model.classes)
            print("  \(name) (seed \(member.configuration.seed)): accuracy \(Format.fixed(result.accuracy * 100, 2))%  "
                  + "mean NLL \(Format.fixed(result.meanLoss, 4))")
        }
        let averaged = Evaluation(probabilities: Ensemble.average(outputs), labels: test.labels, classes: model.classes)
        let votes = Ensemble.vote(outputs, classes: model.classes)
        let voted = zip(votes, test.labels).filter { $0 == Int($1) }.count
        let memberMean = outputs.map { Evaluation(probabilities: $0, labels: test.labels, classes: model.classes).accuracy }
            .reduce(0, +) / Double(outputs.count)
        print("mean member accuracy \(Format.fixed(memberMean * 100, 2))%")
        print("ensemble, averaged probabilities: accuracy \(Format.fixed(averaged.accuracy * 100, 2))%  "
              + "mean NLL \(Format.fixed(averaged.meanLoss, 4))  ECE \(Format.fixed(averaged.calibrationError, 4))")
        print("ensemble, majority vote: accuracy \(Format.fixed(Double(voted) / Double(max(1, test.count)) * 100, 2))% "
              + "(ties: most summed probability, then lowest class)")
    }
}
