import Testing
import Parallel
@testable import Thinned

/// The determinism contract: the same seed gives the same bits for any thread count and any
/// placement, in both gradient modes.
@Suite(.serialized) struct DeterminismTests {
    static func digest(threads: Int, bind: BindPolicy, mode: GradientMode, optimizer: OptimizerKind = .adam,
                       dropout: DropoutKind = .inverted) throws -> String {
        let pool = try Fixture.pool(threads: threads, bind: bind)
        var model = Fixture.model
        model.dropout = dropout
        let configuration = TrainingConfiguration(model: model, optimizer: .init(kind: optimizer), batchSize: 20,
                                                  epochs: 1, seed: 77, gradientMode: mode, shardSize: 3)
        let trainer = try Trainer(configuration: configuration, data: Fixture.data, pool: pool)
        let order = EpochOrder(count: Fixture.data.train.count, batchSize: 20, epoch: 0, seed: 77)
        for b in 0..<order.batches { trainer.train(batch: order.batch(b)) }
        return trainer.weightsDigest
    }

    @Test(arguments: GradientMode.allCases)
    func weightsAreBitwiseIdenticalForAnyPool(mode: GradientMode) throws {
        let reference = try Self.digest(threads: 1, bind: .none, mode: mode)
        for threads in [1, 2, 3, 4] {
            for bind in [BindPolicy.none, .close, .spread] {
                #expect(try Self.digest(threads: threads, bind: bind, mode: mode) == reference,
                        "\(mode): \(threads) threads, --bind \(bind)")
            }
        }
    }

    @Test func dropConnectIsBitwiseIdenticalForAnyPool() throws {
        let reference = try Self.digest(threads: 1, bind: .none, mode: .literal, dropout: .dropconnect)
        #expect(reference != (try Self.digest(threads: 1, bind: .none, mode: .literal)))
        for threads in [2, 3] {
            #expect(try Self.digest(threads: threads, bind: .spread, mode: .fused, dropout: .dropconnect) == reference)
        }
    }

    /// A model whose hidden layers are wider than the step's tiles (forward tiles of 32 columns and
    /// delta tiles of 128, chosen at shards of 30 rows by `TilePlan`; batch 100 is four shards, a
    /// narrow plan: tiles of 15 rows, 32 × 128 weight-gradient tiles), so that the heavy phases
    /// have several tiles.
    static let wide = ModelConfiguration(layers: [784, 200, 130, 10], dropout: .inverted, inputDropRate: 0.2,
                                         hiddenDropRate: 0.5, initialization: .xavier)
    static let wideData = DataSplit.synthetic(features: 784, classes: 10, trainCount: 300, testCount: 10, seed: 5)

    /// The digest after three steps of batch 100 (shards of 30 by default: the last one shorter) on
    /// `executor`.
    static func wideDigest(on executor: any ForkJoinExecutor, mode: GradientMode, shard: Int = 30) throws -> String {
        let configuration = TrainingConfiguration(model: wide, optimizer: .init(kind: .adam), batchSize: 100, epochs: 1,
                                                  seed: 11, gradientMode: mode, shardSize: shard)
        let trainer = try Trainer(configuration: configuration, data: wideData, pool: executor)
        let order = EpochOrder(count: wideData.train.count, batchSize: 100, epoch: 0, seed: 11)
        for b in 0..<order.batches { trainer.train(batch: order.batch(b)) }
        return trainer.weightsDigest
    }

    /// GCD's `concurrentPerform` runs the same tasks as the pool, so it must give the pool's bits,
    /// for any number of workers.
    @Test(arguments: GradientMode.allCases)
    func dispatchGivesThePoolsBits(mode: GradientMode) throws {
        let reference = try Self.wideDigest(on: Fixture.pool(threads: 1, bind: .none), mode: mode)
        for workers in [1, 2, 3] {
            #expect(try Self.wideDigest(on: Fixture.pool(threads: workers, bind: .close), mode: mode) == reference,
                    "\(mode): pool, \(workers) workers")
            #expect(try Self.wideDigest(on: DispatchExecutor(workers: workers), mode: mode) == reference,
                    "\(mode): dispatch, \(workers) workers")
        }
    }

    /// Shards of 9 rows: 12 shards (the last of 1 row), so the forward and delta phases list two
    /// groups of `TilePlan.groupShards` shards, the second one partial; the pool claims them from
    /// shares and steals, Dispatch from one counter. Every pool size and executor gives the same bits.
    @Test func severalShardGroupsGiveTheSameBits() throws {
        #expect(100 / 9 + 1 > TilePlan.groupShards && (100 / 9 + 1) % TilePlan.groupShards != 0)
        let reference = try Self.wideDigest(on: Fixture.pool(threads: 1, bind: .none), mode: .fused, shard: 9)
        #expect(reference != (try Self.wideDigest(on: Fixture.pool(threads: 1, bind: .none), mode: .fused)))
        for workers in [2, 3] {
            #expect(try Self.wideDigest(on: Fixture.pool(threads: workers, bind: .close), mode: .fused, shard: 9) == reference)
            #expect(try Self.wideDigest(on: DispatchExecutor(workers: workers), mode: .fused, shard: 9) == reference)
        }
    }

    /// `FusedStep.interleave` merges two task lists in proportion, each in its own order.
    @Test func interleaveMergesInProportion() {
        func a(_ i: Int) -> FusedStep.Task { .input(rows: i..<(i + 1)) }
        func b(_ j: Int) -> FusedStep.Task { .output(rows: j..<(j + 1)) }
        let four = (0..<4).map(a), two = (0..<2).map(b)
        // a0 at 0, b0 at 0 (ties to a), a1 at 1/4, a2 at 1/2 = b1's 1/2 (a first), a3 at 3/4.
        #expect(FusedStep.interleave(four, two) == [a(0), b(0), a(1), a(2), b(1), a(3)])
        #expect(FusedStep.interleave(four, []) == four && FusedStep.interleave([], two) == two)
        #expect(FusedStep.interleave([], []).isEmpty)
    }

    @Test func differentSeedsGiveDifferentWeights() throws {
        let pool = try Fixture.pool(threads: 2, bind: .none)
        func digest(seed: UInt64) throws -> String {
            let trainer = try Trainer(configuration: TrainingConfiguration(model: Fixture.model, batchSize: 20, seed: seed),
                                      data: Fixture.data, pool: pool)
            trainer.train(batch: EpochOrder(count: 64, batchSize: 20, epoch: 0, seed: seed).batch(0))
            return trainer.weightsDigest
        }
        #expect(try digest(seed: 1) != digest(seed: 2))
        #expect(try digest(seed: 1) == digest(seed: 1))
    }
}
