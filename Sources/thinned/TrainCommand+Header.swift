import Parallel
import Thinned

extension TrainCommand {
    /// The lines printed before the first epoch: the model, the training, the data and the pool.
    static func header(_ configuration: TrainingConfiguration, split: DataSplit, pool: WorkerPool) -> String {
        let model = configuration.model
        let parameters = ParameterLayout(widths: model.layers).count
        let optimizer = configuration.optimizer
        let pinned = pool.bindings.filter(\.isPinned).count
        let augment = configuration.augmentation.isEnabled
            ? ", augment " + configuration.augmentation.transforms.map(\.rawValue).sorted().joined(separator: ",") : ""
        return """
            model: \(model.layers.map(String.init).joined(separator: "-")) (\(parameters) parameters), \(describe(model))
            training: \(optimizer.kind.rawValue) lr \(optimizer.learningRate)\(optimizer.kind == .momentum ? " momentum \(optimizer.momentum)" : ""), batch \(configuration.batchSize), \(configuration.epochs) epochs, seed \(configuration.seed), \(configuration.gradientMode.rawValue) gradients\(augment)
            data: \(split.train.name) \(split.train.count), \(split.test.name) \(split.test.count)
            pool: \(pool.count) workers, --bind \(pool.plan.bind.rawValue) --places \(pool.plan.places.rawValue), \(pinned) pinned; OpenBLAS \(BLAS.coreName) kernel, single-threaded per worker
            """
    }

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
