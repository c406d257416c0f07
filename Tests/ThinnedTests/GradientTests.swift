import Foundation
import Testing
import Parallel
@testable import Thinned

@Suite(.serialized) struct GradientTests {
    /// Central differences in Double with this step: small enough that no ReLU kink is crossed
    /// in practice, large enough that rounding (≈ 1e-16 / h) stays far below the tolerance.
    static let finiteDifferenceStep = 1e-6
    /// The engine computes in Float: allow Float rounding through three layers.
    static let absoluteTolerance = 2e-5
    static let relativeTolerance = 2e-3

    /// Every parameter's per-sample gradient from the literal path against finite differences of
    /// that sample's own loss, with its own masks fixed.
    @Test(arguments: [DropoutKind.inverted, .vanilla, .none, .dropconnect])
    func perSampleGradientMatchesFiniteDifferences(kind: DropoutKind) throws {
        var model = Fixture.model
        model.dropout = kind
        Self.checkAgainstFiniteDifferences(model)
    }

    /// The same for hidden layers of 50 and 63 units: the bias gradient's AVX-512 path sums
    /// columns 16 at a time, up to 64 per tile, and these widths leave a last vector of 2 and 15
    /// columns after three whole ones (the case a lost column once hid in: the reference widths'
    /// 512 and 10, and the fixture's 6 and 5, never reach it).
    @Test func perSampleGradientMatchesFiniteDifferencesOnWiderLayers() throws {
        Self.checkAgainstFiniteDifferences(ModelConfiguration(layers: [7, 50, 63, 4], dropout: .inverted, inputDropRate: 0.2,
                                                              hiddenDropRate: 0.5, initialization: .xavier))
    }

    static func checkAgainstFiniteDifferences(_ model: ModelConfiguration) {
        let seed: UInt64 = 11, step = 4
        let network = Network(model: model, seed: seed)
        let theta = model.initialParameters(seed: seed)
        let data = Fixture.data.train
        let indices: [Int32] = [5, 17, 42]
        for position in indices.indices {
            var gradient = [Float](repeating: .nan, count: network.layout.count)
            let loss = Fixture.withBatch(data, indices, step: step) { batch in
                theta.withUnsafeBufferPointer { theta in
                    gradient.withUnsafeMutableBufferPointer { g in
                        LiteralStep.sampleGradient(network, Workspace(widths: model.layers, rows: 1), position: position,
                                                   batch: batch, parameters: theta.baseAddress!, into: g.baseAddress!)
                    }
                }
            }
            let reference = ReferenceNetwork(model: model, seed: seed, step: step, sample: position)
            let item = Int(indices[position])
            let image = (0..<7).map { Double(data.images[item * 7 + $0]) }
            let label = Int(data.labels[item])
            var point = theta.map(Double.init)
            #expect(abs(Double(loss) - reference.loss(parameters: point, image: image, label: label)) < 1e-5)
            for j in 0..<point.count {
                let numeric = reference.slope(at: &point, j, image: image, label: label, h: finiteDifferenceStep).numeric
                let analytic = Double(gradient[j])
                #expect(abs(analytic - numeric) <= absoluteTolerance + relativeTolerance * abs(numeric),
                        "sample \(position), parameter \(j): literal \(analytic), finite difference \(numeric)")
            }
        }
    }

    /// The fused path's ∇_ave and updated parameters agree with the literal path's.
    @Test(arguments: [OptimizerKind.sgd, .adam], [1, 3, 16])
    func fusedAgreesWithLiteral(optimizer: OptimizerKind, shard: Int) throws {
        let pool = try Fixture.pool(threads: 2, bind: .none)
        let batchSize = 16
        func run(_ mode: GradientMode) -> TrainingState {
            let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: optimizer), batchSize: batchSize,
                                                      epochs: 1, seed: 9, gradientMode: mode, shardSize: shard)
            let trainer = try! Trainer(configuration: configuration, data: Fixture.data, pool: pool)
            let order = EpochOrder(count: Fixture.data.train.count, batchSize: batchSize, epoch: 0, seed: 9)
            for b in 0..<3 { trainer.train(batch: order.batch(b)) }
            return trainer.state
        }
        let literal = run(.literal), fused = run(.fused)
        // Both sum the same products in Float, in different orders (GEMM blocking vs sample order).
        let tolerance: Float = 1e-5
        for j in 0..<literal.parameters.count {
            #expect(abs(literal.parameters[j] - fused.parameters[j]) <= tolerance, "parameter \(j)")
        }
        let gradients = Self.firstGradients(model: Fixture.model, data: Fixture.data, batchSize: batchSize, shard: shard,
                                            seed: 9, pool: pool)
        #expect(gradients.worst <= Double(tolerance) * max(gradients.scale, 1), "largest gradient difference \(gradients.worst)")
    }

    /// ∇_ave of the first step on both paths: the literal path's from its gradient buffer, the
    /// fused path's (which applies its tiles from worker buffers and keeps no ∇_ave) as θ₀ − θ₁
    /// after one SGD step with learning rate 1 — exact up to the rounding of θ₁, ~1e-9 here.
    /// Returns the largest difference and the largest |∇|.
    static func firstGradients(model: ModelConfiguration, data: DataSplit, batchSize: Int, shard: Int, seed: UInt64,
                               pool: WorkerPool) -> (worst: Double, scale: Double) {
        func run(_ mode: GradientMode) -> (before: [Float], after: TrainingState) {
            let configuration = TrainingConfiguration(model: model, optimizer: .init(kind: .sgd, learningRate: 1),
                                                      batchSize: batchSize, epochs: 1, seed: seed, gradientMode: mode,
                                                      shardSize: shard)
            let trainer = try! Trainer(configuration: configuration, data: data, pool: pool)
            let before = trainer.state.parameters
            trainer.train(batch: EpochOrder(count: data.train.count, batchSize: batchSize, epoch: 0, seed: seed).batch(0))
            return (before, trainer.state)
        }
        let literal = run(.literal), fused = run(.fused)
        var worst = 0.0, scale = 0.0
        for j in literal.before.indices {
            let literalGradient = Double(literal.after.gradient[j])
            let fusedGradient = Double(fused.before[j]) - Double(fused.after.parameters[j])
            worst = max(worst, abs(literalGradient - fusedGradient))
            scale = max(scale, abs(literalGradient))
        }
        return (worst, scale)
    }

    /// The same with layers wider than every tile and a batch that is not a multiple of the
    /// shard: multi-tile products, column offsets and remainder tiles in every phase, with every
    /// sample its own dropout masks. At shards of 49 rows `TilePlan` gives 16-unit forward tiles
    /// (150 = 9·16 + 6, 130 = 8·16 + 2) and delta tiles of 128 units (150 = 128 + 22,
    /// 130 = 128 + 2). Batch 120 (2·49 + 22, three shards) takes the narrow plan: those tiles
    /// hold half a shard, unevenly (25 + 24, 25 + 24, then 22 whole), the weight-gradient tiles
    /// are 32 × 128 (700 = 5·128 + 60, 150 = 4·32 + 22), each summed over the batch in two
    /// products (120 = 100 + 20 rows); batch 260 (5·49 + 15, six shards) the wide one, whole
    /// shards and 64 × 128 tiles (150 = 2·64 + 22) summed in three products (2·100 + 60).
    @Test(arguments: zip([OptimizerKind.sgd, .adam, .sgd], [120, 120, 260]))
    func fusedAgreesWithLiteralAcrossTiles(optimizer: OptimizerKind, batchSize: Int) throws {
        let widths = [700, 150, 130, 10], shard = 49
        let plan = TilePlan(widths: widths, rows: shard, batch: batchSize)
        #expect(plan.narrow == (batchSize == 120) && plan.tileRows == (plan.narrow ? 25 : shard))
        #expect(shard % plan.tileRows != 0 || !plan.narrow)
        #expect(plan.forwardColumns == [16, 16, 16] && plan.deltaColumns == [0, 128, 128])
        for l in 0..<(widths.count - 2) {
            #expect(widths[l + 1] > plan.forwardColumns[l] && widths[l + 1] % plan.forwardColumns[l] != 0)
            #expect(widths[l + 1] > plan.deltaColumns[l + 1] && widths[l + 1] % plan.deltaColumns[l + 1] != 0)
        }
        #expect(widths[0] > TilePlan.gradientInputs && widths[0] % TilePlan.gradientInputs != 0)
        #expect(widths[1] > plan.gradientOutputs && widths[1] % plan.gradientOutputs != 0)
        #expect(batchSize > TilePlan.gradientRows && batchSize % TilePlan.gradientRows != 0 && batchSize % shard != 0)
        let model = ModelConfiguration(layers: widths, dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let data = DataSplit.synthetic(features: 700, classes: 10, trainCount: 2 * batchSize, testCount: 10, seed: 5)
        let pool = try Fixture.pool(threads: 2, bind: .none)
        func run(_ mode: GradientMode) -> TrainingState {
            let configuration = TrainingConfiguration(model: model, optimizer: .init(kind: optimizer), batchSize: batchSize,
                                                      epochs: 1, seed: 21, gradientMode: mode, shardSize: shard)
            let trainer = try! Trainer(configuration: configuration, data: data, pool: pool)
            let order = EpochOrder(count: data.train.count, batchSize: batchSize, epoch: 0, seed: 21)
            for b in 0..<2 { trainer.train(batch: order.batch(b)) }
            return trainer.state
        }
        let literal = run(.literal), fused = run(.fused)
        // Both sum the same products in Float, in different orders (GEMM blocking vs sample order).
        let tolerance: Float = 1e-5
        var worstParameter: Float = 0
        for j in 0..<literal.parameters.count {
            worstParameter = max(worstParameter, abs(literal.parameters[j] - fused.parameters[j]))
        }
        // Adam divides each gradient by its own running magnitude, so a parameter whose gradient is
        // nearly 0 (the sum cancels) moves by up to ~lr · δg/|g|: its two paths' Float rounding
        // shows up to ~2e-5 here after two steps (lr 1e-3). The gradients themselves are compared
        // below at 1e-5.
        let parameterTolerance = optimizer == .adam ? 5e-5 : tolerance
        #expect(worstParameter <= parameterTolerance, "largest parameter difference \(worstParameter)")
        let gradients = Self.firstGradients(model: model, data: data, batchSize: batchSize, shard: shard, seed: 21, pool: pool)
        #expect(gradients.worst <= Double(tolerance) * max(gradients.scale, 1), "largest gradient difference \(gradients.worst)")
        // The masks really drop units: a gradient row of a dropped input is zero for that sample,
        // so the averaged gradient differs from a run without dropout.
        #expect(literal.gradient.contains { $0 != 0 })
    }

    /// ∇_ave of the literal path is the mean of the per-sample gradients.
    @Test func literalAverageIsTheMeanOfPerSampleGradients() throws {
        let pool = try Fixture.pool(threads: 2, bind: .none)
        let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .sgd), batchSize: 10, epochs: 1,
                                                  seed: 4, gradientMode: .literal)
        let trainer = try Trainer(configuration: configuration, data: Fixture.data, pool: pool)
        let theta = trainer.state.parameters
        let indices: [Int32] = Array(0..<10)
        trainer.train(batch: indices[...])
        let network = Network(model: Fixture.model, seed: 4)
        var sum = [Double](repeating: 0, count: network.layout.count)
        for position in 0..<10 {
            var g = [Float](repeating: 0, count: network.layout.count)
            Fixture.withBatch(Fixture.data.train, indices, step: 1) { batch in
                theta.withUnsafeBufferPointer { t in
                    g.withUnsafeMutableBufferPointer { gp in
                        _ = LiteralStep.sampleGradient(network, Workspace(widths: Fixture.model.layers, rows: 1), position: position,
                                                       batch: batch, parameters: t.baseAddress!, into: gp.baseAddress!)
                    }
                }
            }
            for j in g.indices { sum[j] += Double(g[j]) }
        }
        for j in sum.indices {
            #expect(abs(Double(trainer.state.gradient[j]) - sum[j] / 10) < 1e-6, "parameter \(j)")
        }
    }
}
