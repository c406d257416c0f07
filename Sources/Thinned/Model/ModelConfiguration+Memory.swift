extension ModelConfiguration {
    /// Rows of activations a worker's prediction workspace holds (`Evaluator.chunk`).
    static let evaluationRows = 250
    /// Per-sample gradients the literal path holds at once (`LiteralStep.window`).
    static let literalWindow = 8

    /// The bytes a training run of this model allocates up front, or nil when the count
    /// overflows: the parameters, the averaged gradient and `optimizerBuffers` optimizer-state
    /// buffers, each one `Float` per parameter; the step's workspace (one row of activations and
    /// deltas per sample of a batch of `batchSize`, or per worker and `literalWindow` full
    /// gradients on the literal path); and each of `workers` prediction workspaces.
    ///
    /// An estimate for refusing a model that cannot fit before anything is allocated, not an
    /// account: smaller buffers (masks, task lists) are left out.
    public func trainingBytes(optimizerBuffers: Int, batchSize: Int, workers: Int, literal: Bool) -> Int? {
        guard let parameters = ParameterLayout.parameterCount(widths: layers),
              // A workspace row: the inputs of every width but the last, deltas and outputs of all but the first.
              let row = Self.sum(Array(layers.dropLast()) + Array(layers.dropFirst())) else { return nil }
        let step = literal
            ? Self.sum([MemoryBudget.product([workers, row]), MemoryBudget.product([Self.literalWindow, parameters])])
            : MemoryBudget.product([batchSize, row])
        let floats = Self.sum([MemoryBudget.product([2 + optimizerBuffers, parameters]), step,
                               MemoryBudget.product([workers, Self.evaluationRows, row])])
        return floats.flatMap { MemoryBudget.product([$0, MemoryLayout<Float>.size]) }
    }

    /// The sum of `terms`, or nil when one is nil or the sum overflows.
    private static func sum(_ terms: [Int?]) -> Int? {
        var total = 0
        for term in terms {
            guard let term else { return nil }
            let (next, overflow) = total.addingReportingOverflow(term)
            if overflow { return nil }
            total = next
        }
        return total
    }
}
