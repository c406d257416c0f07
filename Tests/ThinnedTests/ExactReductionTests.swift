import Foundation
import Parallel
import Testing
@testable import Thinned

/// `--reduce exact`: the fixed-point sums, the group plans, and the contract — the same bits for
/// any number of processes and workers — with processes simulated by threads that share an
/// in-memory communicator (the MPI one is tested by `Tools/mpi-check` under mpirun).
@Suite struct ExactReductionTests {
    @Test func headroomAndScales() {
        #expect([1, 2, 3, 4, 5, 8, 9, 64, 65].map { ExactReduction.headroom(groups: $0) } == [0, 1, 2, 2, 3, 3, 4, 6, 7])
        // 1 < 2¹: k = 62 − 2 − 1 for four groups.
        #expect(ExactReduction.scale(maximum: 1, groups: 4) == 59)
        #expect(ExactReduction.scale(maximum: 0.75, groups: 4) == 60)
        #expect(ExactReduction.scale(maximum: 0, groups: 4) == 0)
        #expect(ExactReduction.scale(maximum: .infinity, groups: 4) == nil)
        #expect(ExactReduction.scale(maximum: .nan, groups: 4) == nil)
        #expect(ExactReduction.scale(maximum: .leastNonzeroMagnitude, groups: 1) == 62 + 148)
    }

    /// A Float survives the trip through its integer exactly when its last bit is worth at least
    /// the resolution 2^−k (a value up to 2^(62−h−24) times smaller than the maximum); a smaller
    /// one comes back within half the resolution. The largest possible sum stays below 2^63.
    @Test func valuesSurviveTheTripAndSumsCannotOverflow() {
        let groups = 5, maximum: Float = 3.75
        let k = ExactReduction.scale(maximum: maximum, groups: groups)!
        for x: Float in [maximum, -maximum, 1, -0.5, 1e-6, 0] {
            #expect(ExactReduction.value(ExactReduction.integer(x, scale: k), scale: k) == x, "\(x)")
        }
        let tiny: Float = 3.0e-12, resolution = Double(sign: .plus, exponent: -k, significand: 1)
        #expect(abs(Double(ExactReduction.value(ExactReduction.integer(tiny, scale: k), scale: k)) - Double(tiny)) <= resolution / 2)
        let largest = ExactReduction.integer(maximum, scale: k)
        let (total, overflow) = largest.multipliedReportingOverflow(by: Int64(groups))
        #expect(!overflow && total < Int64(1) << 62)
        // Below the resolution 2^−k a value is lost (and says so by rounding to 0).
        #expect(ExactReduction.integer(Float(sign: .plus, exponent: -k - 2, significand: 1), scale: k) == 0)
        // Negative sums come back negative, subnormal ones rounded once.
        #expect(ExactReduction.value(-3, scale: 1) == -1.5)
        #expect(ExactReduction.value(1, scale: 149) == .leastNonzeroMagnitude)
    }

    /// The sum of groups in any order is the same integer, and back in Floats it is the exact sum
    /// rounded (checked against Double, which holds these sums exactly enough).
    @Test func groupSumsAreTheSameInAnyOrder() {
        var stream = RandomStream(Philox(seed: 9), .syntheticData, a: 1)
        let groups = 7, count = 300
        let values = (0..<groups).map { g in
            (0..<count).map { j in (stream.nextUniform() * 2 - 1) * Float(sign: .plus, exponent: (j % 40) - 30 + g, significand: 1) }
        }
        let maximum = values.joined().map(abs).max()!
        let k = ExactReduction.scale(maximum: maximum, groups: groups)!
        func sums(_ order: [Int]) -> [Int64] {
            var sums = [Int64](repeating: 0, count: count)
            for g in order {
                values[g].withUnsafeBufferPointer { v in
                    sums.withUnsafeMutableBufferPointer { ExactReduction.accumulate(v.baseAddress!, count: count, scale: k, into: $0.baseAddress!) }
                }
            }
            return sums
        }
        let forward = sums(Array(0..<groups))
        #expect(sums(Array((0..<groups).reversed())) == forward)
        #expect(sums([3, 0, 6, 1, 5, 2, 4]) == forward)
        for j in 0..<count {
            let exact = values.reduce(0.0) { $0 + Double($1[j]) }
            let back = ExactReduction.value(forward[j], scale: k)
            // One Float rounding, plus what fell below the resolution 2^−k in each group.
            let resolution = Double(groups) * Double(sign: .plus, exponent: -k, significand: 1)
            #expect(abs(Double(back) - exact) <= Double(back.ulp) / 2 + resolution, "element \(j)")
        }
    }

    @Test func plansCoverTheBatchOnceWhateverTheProcesses() {
        for ranks in 1...5 {
            let plan = GroupPlan(batchSize: 100, groupSize: 20, ranks: ranks)!
            let rows = (0..<ranks).map { plan.rows(of: $0) }
            #expect(rows.first?.lowerBound == 0 && rows.last?.upperBound == 100)
            for r in 1..<ranks { #expect(rows[r].lowerBound == rows[r - 1].upperBound) }
            #expect(rows.allSatisfy { !$0.isEmpty && $0.count % 20 == 0 })
        }
        #expect(GroupPlan(batchSize: 100, groupSize: 20, ranks: 6) == nil)
        #expect(GroupPlan.problem(batchSize: 100, groupSize: 20, ranks: 6)?.contains("6 processes for 5 groups") == true)
        #expect(GroupPlan.problem(batchSize: 100, groupSize: 30, ranks: 1)?.contains("does not divide") == true)
    }

    @Test func badConfigurationsAreRefused() throws {
        var configuration = Self.configuration
        configuration.exactGroupSize = 15   // not a multiple of the shard size 25
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.exactGroupSize = 75   // 100 does not divide into 75s
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.exactGroupSize = 25
        configuration.sampling = .poisson
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.sampling = .shuffle
        // Five processes for four groups.
        let group = ThreadGroup(size: 5)
        #expect(throws: ConfigurationError.self) {
            try Trainer(configuration: configuration, data: Self.data, pool: DispatchExecutor(workers: 1),
                        communicator: ThreadCommunicator(rank: 0, group: group))
        }
        // Several processes without --reduce exact.
        configuration.exactGroupSize = nil
        #expect(throws: ConfigurationError.self) {
            try Trainer(configuration: configuration, data: Self.data, pool: DispatchExecutor(workers: 1),
                        communicator: ThreadCommunicator(rank: 0, group: ThreadGroup(size: 2)))
        }
    }

    /// Wider than the step's tiles, with remainder tiles (see `DeterminismTests.wide`); batch 100
    /// in four groups of 25, one shard each — not a multiple of the output phase's blocks of 10
    /// rows, so a block that crossed a group would be cut differently by different processes.
    static let data = DataSplit.synthetic(features: 784, classes: 10, trainCount: 300, testCount: 10, seed: 5)
    static let configuration: TrainingConfiguration = {
        var configuration = TrainingConfiguration(model: DeterminismTests.wide, optimizer: .init(kind: .adam), batchSize: 100,
                                                  epochs: 1, seed: 11, gradientMode: .fused, shardSize: 25)
        configuration.exactGroupSize = 25
        return configuration
    }()

    /// The weights' digest after an epoch (three steps) on `ranks` simulated processes of
    /// `workers` workers each, every one checked to hold the same weights.
    static func digest(ranks: Int, workers: Int, configuration: TrainingConfiguration = configuration) throws -> String {
        let group = ThreadGroup(size: ranks)
        let digests = Locked([String?](repeating: nil, count: ranks))
        let errors = Locked([String]())
        let done = DispatchGroup()
        for rank in 0..<ranks {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                do {
                    let trainer = try Trainer(configuration: configuration, data: data, pool: DispatchExecutor(workers: workers),
                                              communicator: ThreadCommunicator(rank: rank, group: group))
                    let order = EpochOrder(count: data.train.count, batchSize: 100, epoch: 0, seed: 11)
                    for b in 0..<order.batches { trainer.train(batch: order.batch(b)) }
                    digests.update { $0[rank] = trainer.weightsDigest }
                } catch {
                    errors.update { $0.append("\(error)") }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        try #require(errors.value.isEmpty, "\(errors.value)")
        let all = digests.value.compactMap { $0 }
        #expect(Set(all).count == 1, "every process holds the same weights")
        return all[0]
    }

    @Test func theSameBitsForAnyNumberOfProcessesAndWorkers() throws {
        let plain = try Self.digest(ranks: 1, workers: 1)
        for (ranks, workers) in [(1, 2), (2, 1), (2, 2), (3, 1), (3, 2), (4, 1)] {
            #expect(try Self.digest(ranks: ranks, workers: workers) == plain, "\(ranks) processes × \(workers) workers")
        }
        // The trainer without a communicator is the one-process run.
        let trainer = try Trainer(configuration: Self.configuration, data: Self.data, pool: DispatchExecutor(workers: 2))
        let order = EpochOrder(count: Self.data.train.count, batchSize: 100, epoch: 0, seed: 11)
        for b in 0..<order.batches { trainer.train(batch: order.batch(b)) }
        #expect(trainer.weightsDigest == plain)
    }

    /// Clipping and noise are applied the same way on every process: still one digest.
    @Test func dpStepsGiveTheSameBitsOnAnyNumberOfProcesses() throws {
        var configuration = Self.configuration
        configuration.privacy = PrivacyConfiguration(clipNorm: 0.5, noiseMultiplier: 1.1, delta: 1e-5, noiseSeed: 3)
        let plain = try Self.digest(ranks: 1, workers: 1, configuration: configuration)
        #expect(plain != (try Self.digest(ranks: 1, workers: 1)))
        for (ranks, workers) in [(2, 1), (3, 2)] {
            #expect(try Self.digest(ranks: ranks, workers: workers, configuration: configuration) == plain,
                    "\(ranks) processes × \(workers) workers")
        }
    }

    /// The grouped sum is the batch's gradient: one step agrees with the tiled step's weights to
    /// float rounding (its bits differ: other sums, other order).
    @Test func theExactStepIsTheBatchStep() throws {
        var tiled = Self.configuration
        tiled.exactGroupSize = nil
        tiled.optimizer = .init(kind: .sgd)
        var exact = tiled
        exact.exactGroupSize = 25
        func weights(_ configuration: TrainingConfiguration) throws -> [Float] {
            let trainer = try Trainer(configuration: configuration, data: Self.data, pool: DispatchExecutor(workers: 2))
            trainer.train(batch: EpochOrder(count: Self.data.train.count, batchSize: 100, epoch: 0, seed: 11).batch(0))
            return trainer.state.parameters
        }
        let a = try weights(tiled), b = try weights(exact)
        let initial = TrainingState(model: tiled.model, optimizer: tiled.optimizer, seed: tiled.seed).parameters
        var worst: Float = 0, moved: Float = 0
        for j in a.indices {
            worst = max(worst, abs(a[j] - b[j]))
            moved = max(moved, abs(a[j] - initial[j]))
        }
        #expect(moved > 1e-4, "the step moved the weights")
        #expect(worst <= 1e-6 * max(1, moved) * 10, "largest difference \(worst)")
    }
}

/// A value behind a lock, for the simulated processes' results.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}

/// The shared memory of simulated processes: each collective posts every process's part, waits
/// for all, and combines them in rank order.
final class ThreadGroup: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    var parts: [Any?]

    init(size: Int) {
        self.size = size
        parts = Array(repeating: nil, count: size)
    }

    /// Posts `part` for `rank`, waits for every process, and returns every part in rank order
    /// (then waits again, so that no process posts the next collective's part early).
    func exchange(_ part: Any, rank: Int) -> [Any] {
        condition.lock()
        parts[rank] = part
        wait()
        let all = parts.map { $0! }
        wait()
        condition.unlock()
        return all
    }

    /// With the lock held: returns once every process has called it.
    private func wait() {
        let mine = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
    }
}

final class ThreadCommunicator: Communicator {
    let rank: Int
    let group: ThreadGroup
    var size: Int { group.size }

    init(rank: Int, group: ThreadGroup) {
        self.rank = rank
        self.group = group
    }

    func maximum(_ values: UnsafeMutableBufferPointer<Float>) {
        let all = group.exchange(Array(values), rank: rank).map { $0 as! [Float] }
        for j in values.indices { values[j] = all.map { $0[j] }.max()! }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Int64>) {
        let all = group.exchange(Array(values), rank: rank).map { $0 as! [Int64] }
        for j in values.indices { values[j] = all.reduce(0) { $0 &+ $1[j] } }
    }

    func gather(_ mine: UnsafeBufferPointer<Float>, into all: UnsafeMutableBufferPointer<Float>, counts: [Int], offsets: [Int]) {
        let parts = group.exchange(Array(mine), rank: rank).map { $0 as! [Float] }
        for r in 0..<size {
            precondition(parts[r].count == counts[r], "ThreadCommunicator.gather: rank \(r) sent \(parts[r].count), expected \(counts[r])")
            for (i, x) in parts[r].enumerated() { all[offsets[r] + i] = x }
        }
    }

    func broadcast(_ bytes: UnsafeMutableRawBufferPointer) {
        let parts = group.exchange(Array(bytes), rank: rank).map { $0 as! [UInt8] }
        for (i, b) in parts[0].enumerated() { bytes[i] = b }
    }

    func any(_ flag: Bool) -> Bool {
        group.exchange(flag, rank: rank).contains { $0 as! Bool }
    }
}
