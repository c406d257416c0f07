import Parallel
import Thinned

extension TrainCommand {
    /// The lines printed before the first epoch: the model, the training, the data and the pool.
    static func header(_ configuration: TrainingConfiguration, split: DataSplit, pool: WorkerPool,
                       communicator: Communicator = LocalCommunicator()) -> String {
        let model = configuration.model
        let parameters = ParameterLayout(widths: model.layers).count
        let optimizer = configuration.optimizer
        let pinned = pool.bindings.filter(\.isPinned).count
        let augment = configuration.augmentation.isEnabled
            ? ", augment " + configuration.augmentation.transforms.map(\.rawValue).sorted().joined(separator: ",") : ""
        return """
            model: \(model.layers.map(String.init).joined(separator: "-")) (\(parameters) parameters), \(describe(model))
            training: \(optimizer.kind.rawValue) lr \(optimizer.learningRate)\(optimizer.kind == .momentum ? " momentum \(optimizer.momentum)" : ""), batch \(configuration.batchSize), \(configuration.epochs) epochs, seed \(configuration.seed), \(configuration.gradientMode.rawValue) gradients\(configuration.sampling == .poisson ? ", Poisson sampling (each example with probability \(Format.significant(configuration.samplingRate(trainingSamples: split.train.count), 4)) per step)" : "")\(augment)
            data: \(split.train.name) \(split.train.count), \(split.test.name) \(split.test.count)
            \(privacy(configuration, split: split).map { $0 + "\n" } ?? "")\(reduction(configuration, communicator: communicator).map { $0 + "\n" } ?? "")pool: \(pool.count) workers, --bind \(pool.plan.bind.rawValue) --places \(pool.plan.places.rawValue), \(pinned) pinned; OpenBLAS \(BLAS.coreName) kernel, single-threaded per worker
            """
    }

    /// The reduction line under `--reduce exact`: processes, groups, and rank 0's share; nil otherwise.
    static func reduction(_ configuration: TrainingConfiguration, communicator: Communicator) -> String? {
        guard let groupSize = configuration.exactGroupSize,
              let plan = GroupPlan(batchSize: configuration.batchSize, groupSize: groupSize, ranks: communicator.size) else { return nil }
        let shares = (0..<plan.ranks).map { plan.groups(of: $0).count }
        return "reduce: exact, \(plan.groups) groups of \(groupSize) samples per batch on \(communicator.size) process\(communicator.size == 1 ? "" : "es") (groups per process: \(shares.map(String.init).joined(separator: ", "))); the same bits for any number of processes"
    }

    /// The privacy line: clipping, noise and the accountant's assumptions; nil for a plain run.
    static func privacy(_ configuration: TrainingConfiguration, split: DataSplit) -> String? {
        guard let privacy = configuration.privacy else { return nil }
        guard privacy.addsNoise else { return "privacy: each sample's gradient clipped to norm \(privacy.clipNorm), no noise (no privacy guarantee)" }
        let q = configuration.samplingRate(trainingSamples: split.train.count)
        let steps = configuration.epochs * (split.train.count / configuration.batchSize)
        let planned = privacy.epsilon(steps: steps, samplingRate: q)!
        return "privacy: DP-SGD, gradients clipped to norm \(privacy.clipNorm), noise σ \(Format.significant(privacy.noiseMultiplier, 4)) × C, "
            + "sampling rate q = \(Format.significant(q, 4)); RDP accountant: ε \(planned.epsilon.isFinite ? formatEpsilon(planned.epsilon) : "∞") at δ \(privacy.delta) "
            + "after the \(steps) planned steps; a checkpoint's trainer_state.json holds the noise's key: keep it as private as the data"
    }

    /// The warning printed once for a run with noise and shuffled batches: what the accountant
    /// assumes of the batches.
    static let samplingWarning = "ε is computed, as Opacus computes it, for steps that include each example independently with probability q (Poisson sampling); these steps take the shuffled, fixed-size batches of each epoch (--sampling shuffle), so the ε printed is the customary estimate for them, not a proven guarantee; --sampling poisson gives the guarantee"

    /// What the model is, as it trains: its hidden units, its dropout and its initial weights.
    static func describe(_ model: ModelConfiguration) -> String {
        let hidden = model.depth > 1
        let units = hidden ? "ReLU hidden units" : "no hidden layer (softmax regression)"
        let dropout: String = switch model.dropout {
        case .none: "no dropout"
        case .dropconnect: "dropconnect (each weight dropped with p \(model.hiddenDropRate))"
        case .inverted, .vanilla:
            "\(model.dropout.rawValue) dropout p_input \(model.inputDropRate)" + (hidden ? " p_hidden \(model.hiddenDropRate)" : "")
        }
        return "\(units), \(dropout), \(model.initialization.rawValue) init"
    }
}
