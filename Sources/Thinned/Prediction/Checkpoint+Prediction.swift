import Parallel

extension Checkpoint {
    /// The predicted probabilities of the checkpoint's parameters on `dataset` by `rule`, on
    /// `pool`, `[count, classes]` row-major. Monte-Carlo masks come from `seed` (default: the
    /// run's own).
    public func probabilities(_ dataset: Dataset, rule: InferenceRule, pool: WorkerPool, seed: UInt64? = nil) -> [Float] {
        let network = Network(model: configuration.model, seed: seed ?? configuration.seed)
        return Evaluator(network: network, pool: pool).probabilities(dataset, parameters: state.parameters, rule: rule)
    }

    /// Accuracy, mean negative log-likelihood, calibration error and confusion matrix on `dataset`.
    public func evaluate(_ dataset: Dataset, rule: InferenceRule, pool: WorkerPool, seed: UInt64? = nil) -> Evaluation {
        Evaluation(probabilities: probabilities(dataset, rule: rule, pool: pool, seed: seed), labels: dataset.labels,
                   classes: configuration.model.classes)
    }
}
