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
