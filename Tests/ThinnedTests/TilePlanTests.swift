import Testing
@testable import Thinned

/// The tile sizes `TilePlan` derives from OpenBLAS's small-matrix limits.
@Suite struct TilePlanTests {
    /// The reference model at the default shard and batch 1000: 48-unit forward tiles (25 × 48 =
    /// 1200 results, 25 × 48 × 784 = 940 800 multiply-adds), 64-unit delta tiles (25 × 64 × 512 =
    /// 819 200) and 64 × 128 gradient tiles; one unit step wider breaks a limit in each case.
    @Test func referenceModelAtTheDefaultShard() {
        let widths = [784, 512, 512, 512, 512, 10]
        let plan = TilePlan(widths: widths, rows: 25, batch: 1000)
        #expect(!plan.narrow && plan.gradientOutputs == TilePlan.maximumGradientOutputs)
        #expect(plan.forwardColumns == [48, 48, 48, 48, 48])
        #expect(plan.deltaColumns == [0, 64, 64, 64, 128])
        for l in 0..<(widths.count - 1) {
            let columns = plan.forwardColumns[l], wider = columns + TilePlan.columnStep
            #expect(25 * columns <= TilePlan.smallForwardResult && 25 * columns * widths[l] <= TilePlan.smallProduct)
            #expect(25 * wider > TilePlan.smallForwardResult || 25 * wider * widths[l] > TilePlan.smallProduct)
        }
        for l in 1..<(widths.count - 1) where plan.deltaColumns[l] < TilePlan.maximumColumns {
            #expect(25 * (plan.deltaColumns[l] + TilePlan.columnStep) * widths[l + 1] > TilePlan.smallProduct)
        }
    }

    /// Batches of at most four shards take the narrow plan: the same columns, half a shard's rows
    /// (13 of 25: 13 and 12 a shard), gradient tiles of 32 outputs. Batch 100 is the last narrow
    /// one at shard 25; at shard 50, batch 200; an odd shard of 1 keeps its one row.
    @Test func narrowPlanForBatchesOfFourShardsOrFewer() {
        let widths = [784, 512, 512, 512, 512, 10]
        let narrow = TilePlan(widths: widths, rows: 25, batch: 100), wide = TilePlan(widths: widths, rows: 25, batch: 101)
        #expect(narrow.narrow && narrow.tileRows == 13 && narrow.gradientOutputs == TilePlan.narrowGradientOutputs)
        #expect(!wide.narrow && wide.tileRows == 25 && wide.gradientOutputs == TilePlan.maximumGradientOutputs)
        #expect(narrow.forwardColumns == wide.forwardColumns && narrow.deltaColumns == wide.deltaColumns)
        #expect(TilePlan(widths: widths, rows: 50, batch: 200).narrow && !TilePlan(widths: widths, rows: 50, batch: 201).narrow)
        #expect(TilePlan(widths: widths, rows: 1, batch: 4).tileRows == 1)
    }

    /// The trainer's fused step takes the plan its batch calls for: at batch 100 the narrow one
    /// (half-shard tiles, 32-output gradient tiles: 914 tasks), at batch 101 (five shards) the
    /// wide one (whole shards, 64-output gradient tiles: 548 tasks).
    @Test(arguments: [(100, [20, 88, 88, 88, 88, 10, 32, 68, 128, 128, 176]), (101, [21, 55, 55, 55, 55, 11, 20, 44, 72, 72, 88])])
    func theStepTakesThePlanOfItsBatch(batch: Int, counts: [Int]) throws {
        let model = ModelConfiguration(layers: [784, 512, 512, 512, 512, 10], dropout: .inverted, inputDropRate: 0.2,
                                       hiddenDropRate: 0.5, initialization: .xavier)
        let data = DataSplit.synthetic(features: 784, classes: 10, trainCount: batch, testCount: 10, seed: 1)
        let configuration = TrainingConfiguration(model: model, optimizer: .init(kind: .sgd), batchSize: batch, epochs: 1,
                                                  seed: 1, gradientMode: .fused, shardSize: 25)
        let trainer = try Trainer(configuration: configuration, data: data, pool: Fixture.pool(threads: 1, bind: .none))
        let step = try #require(trainer.engine as? FusedStep)
        #expect(step.tiles == TilePlan(widths: model.layers, rows: 25, batch: batch) && step.tiles.narrow == (batch == 100))
        #expect(step.phaseTaskCounts == counts)
    }

    /// Where no multiple of 16 fits, the narrowest tile; the widest is 128.
    @Test func boundsOfTheColumns() {
        #expect(TilePlan.columns(rows: 200, depth: 784, resultLimit: TilePlan.smallForwardResult) == TilePlan.columnStep)
        #expect(TilePlan.columns(rows: 1, depth: 10, resultLimit: .max) == TilePlan.maximumColumns)
        #expect(TilePlan.maximumGradientOutputs * TilePlan.gradientInputs * TilePlan.gradientRows <= TilePlan.smallProduct)
    }

    /// The step's fork–joins for the reference model at batch 100 (a narrow plan): the images
    /// masked 5 rows a task (20 tasks), forward tiles of 13 and 12 rows (8 half shards × 11
    /// column blocks), the softmax 10 rows a task, delta tiles of half shards too, gradient tiles
    /// of 32 × 128 (16 × 4 a 512-wide layer, 16 × 7 the input layer's), 914 tasks in 11
    /// fork–joins; under
    /// `--reduce exact` with groups of 25 the images' blocks still cover every row once, and the
    /// softmax's blocks stay within groups.
    @Test func phasesOfTheReferenceModelAtBatch100() {
        let model = ModelConfiguration(layers: [784, 512, 512, 512, 512, 10], dropout: .inverted, inputDropRate: 0.2,
                                       hiddenDropRate: 0.5, initialization: .xavier)
        let network = Network(model: model, seed: 1)
        let plan = TilePlan(widths: model.layers, rows: 25, batch: 100)
        func rows(_ tasks: [FusedStep.Task]) -> [Range<Int>] {
            tasks.map { task in
                switch task {
                case let .input(rows), let .output(rows), let .bound(rows): rows
                default: -1..<0
                }
            }
        }
        let phases = FusedStep.phases(rows: 100, network: network, shardSize: 25, plan: plan, measuresNorms: false)
        #expect(phases.map(\.count) == [20, 88, 88, 88, 88, 10, 32, 68, 128, 128, 176] && phases.joined().count == 914)
        let halves = stride(from: 0, to: 100, by: 25).flatMap { [$0..<($0 + 13), ($0 + 13)..<($0 + 25)] }
        let firstBlock = phases[1].prefix(8).map { task -> Range<Int> in
            guard case let .forward(0, rows, 0..<48) = task else { return -1..<0 }
            return rows
        }
        #expect(firstBlock == halves)
        let firstDeltas = phases[8].compactMap { task -> Range<Int>? in
            guard case let .delta(2, rows, 0..<64) = task else { return nil }
            return rows
        }
        #expect(firstDeltas == halves)
        #expect(rows(phases[0]) == stride(from: 0, to: 100, by: 5).map { $0..<($0 + 5) })
        #expect(rows(phases[5]) == stride(from: 0, to: 100, by: 10).map { $0..<($0 + 10) })

        // Exact groups of 15 rows (3 of them, 45 rows): the softmax's blocks end at 10, 15, 25, 30,
        // 40 and 45 (within groups), while the images' run by 5 throughout.
        let exact = FusedStep.phases(rows: 45, network: network, shardSize: 15, plan: TilePlan(widths: model.layers, rows: 15, batch: 45),
                                     measuresNorms: false, exactGroups: (count: 3, size: 15))
        #expect(rows(exact[0]) == stride(from: 0, to: 45, by: 5).map { $0..<($0 + 5) })
        let softmax = exact.first { $0.first.map { if case .output = $0 { true } else { false } } ?? false }
        #expect(softmax.map(rows) == [0..<10, 10..<15, 15..<25, 25..<30, 30..<40, 40..<45])
    }
}
