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
        guard let bytes = model.trainingBytes(optimizerBuffers: configuration.optimizer.stateBuffers,
                                              batchSize: configuration.batchSize, workers: workers, literal: literal) else {
            throw .tooLarge(option: "--layers", value: layers, .overflow(what: what))
        }
        do throws(MemoryError) {
            try MemoryBudget.require(bytes, for: what)
        } catch {
            throw .tooLarge(option: "--layers", value: layers, error)
        }
    }
}
