import Testing
@testable import Thinned
import Parallel

/// A model too large to train is refused, with the bytes it needs and the bytes there are,
/// before anything of its size is allocated.
@Suite struct ModelSizeTests {
    @Test func parameterCountIsOverflowChecked() {
        #expect(ParameterLayout.parameterCount(widths: [784, 32, 10]) == ParameterLayout(widths: [784, 32, 10]).count)
        #expect(ParameterLayout.parameterCount(widths: [784, 32, 10]) == 785 * 32 + 33 * 10)
        #expect(ParameterLayout.parameterCount(widths: [1 << 32, 1 << 32, 10]) == nil)
        #expect(ParameterLayout.parameterCount(widths: [Int.max, 2]) == nil)
        #expect(ParameterLayout.parameterCount(widths: [3_037_000_500, 3_037_000_500]) == nil)   // (n+1)·n > 2⁶³
        var model = Fixture.model
        model.layers = [1 << 32, 1 << 32, 10]
        #expect(throws: ConfigurationError.invalid(option: "--layers", value: "4294967296,4294967296,10",
                                                   expected: "a parameter count that fits in 64 bits")) {
            try model.validate()
        }
    }

    @Test func trainingBytesCountStateAndWorkspaces() {
        let model = ModelConfiguration(layers: [784, 100, 10], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let parameters = 785 * 100 + 101 * 10, row = 784 + 100 + 100 + 10
        // Adam: parameters, gradient, m, v; a batch of 100 rows; 2 workers × 250 prediction rows.
        #expect(model.trainingBytes(optimizerBuffers: 2, batchSize: 100, workers: 2, literal: false)
            == 4 * (4 * parameters + 100 * row + 2 * 250 * row))
        #expect(model.trainingBytes(optimizerBuffers: 0, batchSize: 100, workers: 2, literal: true)
            == 4 * (2 * parameters + 2 * row + 8 * parameters + 2 * 250 * row))
        var huge = model
        huge.layers = [1 << 40, 1 << 20, 10]
        #expect(huge.trainingBytes(optimizerBuffers: 2, batchSize: 100, workers: 2, literal: false) == nil)
    }

    /// 1.2·10¹⁰ parameters and 2·10⁹ activations per row: about 2.2 TB.
    static let hugeModel = ModelConfiguration(layers: [7, 1_000_000_000, 4], dropout: .inverted, inputDropRate: 0.2,
                                              hiddenDropRate: 0.5, initialization: .xavier)

    @Test(.enabled(if: hugeModel.trainingBytes(optimizerBuffers: 2, batchSize: 16, workers: 1, literal: false)!
                       > MemoryBudget.tightest().bytes, "a machine with more than 2.2 TB would train this model"))
    func aModelBeyondTheBudgetIsRefusedByTheTrainer() throws {
        var configuration = TrainingConfiguration(model: ModelConfiguration(
            layers: [7, 1_000_000_000, 4], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5, initialization: .xavier))
        configuration.batchSize = 16
        let pool = try Fixture.pool(threads: 1, bind: .none)
        let needed = try #require(configuration.model.trainingBytes(optimizerBuffers: 2, batchSize: 16, workers: 1, literal: false))
        let limit = MemoryBudget.tightest()
        do throws(ConfigurationError) {
            _ = try Trainer(configuration: configuration, data: Fixture.data, pool: pool)
            Issue.record("a model of \(needed) bytes was accepted")
        } catch {
            guard case let .tooLarge(option, value, .tooLarge(_, neededBytes, availableBytes, _)) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(option == "--layers" && value == "7,1000000000,4")
            #expect(neededBytes == needed && availableBytes <= limit.bytes)
            #expect(error.description.hasPrefix("--layers 7,1000000000,4: the model's parameters"))
        }
    }

    @Test func syntheticDataBeyondTheBudgetIsRefused() throws {
        try DataSplit.requireSyntheticMemory(features: 784, classes: 10)
        // 2 510 rows of 10¹¹ floats: a petabyte.
        #expect(throws: MemoryError.self) {
            try DataSplit.requireSyntheticMemory(features: 100_000_000_000, classes: 10)
        }
        #expect(throws: MemoryError.overflow(what: "synthetic data: 2000 + 500 examples of \(Int.max / 2) features")) {
            try DataSplit.requireSyntheticMemory(features: Int.max / 2, classes: 10)
        }
    }
}
