extension Trainer {
    /// Refuses a run whose model, optimizer state and workspaces cannot fit in the memory the
    /// process may use, with the bytes needed and the bytes there are, before any of it is
    /// allocated ("--layers 784,100000000,10: … needs 1.6 TB, but … leaves 25.3 GB"). `init`
    /// calls it; a caller may call it first, before loading data for the run.
    public static func requireMemory(for configuration: TrainingConfiguration, workers: Int) throws(ConfigurationError) {
        let model = configuration.model
        let layers = model.layers.map(String.init).joined(separator: ",")
        let literal = configuration.stepMode == .literal
        let what = "the model's parameters, gradient, optimizer state and workspaces"
        guard let step = model.trainingBytes(optimizerBuffers: configuration.optimizer.stateBuffers,
                                             batchSize: configuration.batchSize, workers: workers, literal: literal) else {
            throw .tooLarge(option: "--layers", value: layers, .overflow(what: what))
        }
        // --reduce exact: the integer sums and each row's bounds (at most the whole batch's rows).
        let exact = configuration.exactGroupSize == nil ? 0 : ExactGroups.bytes(widths: model.layers, rows: configuration.batchSize)
        guard let exact else { throw .tooLarge(option: "--layers", value: layers, .overflow(what: what)) }
        let (bytes, overflow) = step.addingReportingOverflow(exact)
        if overflow { throw .tooLarge(option: "--layers", value: layers, .overflow(what: what)) }
        do throws(MemoryError) {
            try MemoryBudget.require(bytes, for: what)
        } catch {
            throw .tooLarge(option: "--layers", value: layers, error)
        }
    }
}
