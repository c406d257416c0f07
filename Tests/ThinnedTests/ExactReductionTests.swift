import Foundation
import CKernels
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

    /// round(x·2^k) for each of `xs`, written (not added).
    static func integers(_ xs: [Float], scale k: Int, limit: Double = 0x1p62) -> (integers: [Int64], flags: Int8) {
        var out = [Int64](repeating: 0, count: xs.count)
        let flags = xs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer {
                ExactReduction.accumulate(x.baseAddress!, columns: xs.count, scale: k, limit: limit, into: $0.baseAddress!, store: true)
            }
        }
        return (out, flags)
    }

    static func values(_ sums: [Int64], scale k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: sums.count)
        sums.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { ExactReduction.values(s.baseAddress!, count: sums.count, scale: k, into: $0.baseAddress!) } }
        return out
    }

    /// A Float survives the trip through its integer exactly when its last bit is worth at least
    /// the resolution 2^−k (a value up to 2^(62−h−24) times smaller than the bound); a smaller
    /// one comes back within half the resolution. The largest possible sum stays below 2^63.
    @Test func valuesSurviveTheTripAndSumsCannotOverflow() {
        let groups = 5, maximum: Float = 3.75
        let k = ExactReduction.scale(maximum: maximum, groups: groups)!, limit = ExactReduction.limit(groups: groups)
        let xs: [Float] = [maximum, -maximum, 1, -0.5, 1e-6, 0]
        let (integers, flags) = Self.integers(xs, scale: k, limit: limit)
        #expect(flags == 0)
        #expect(Self.values(integers, scale: k) == xs)
        let tiny: Float = 3.0e-12, resolution = Double(sign: .plus, exponent: -k, significand: 1)
        let back = Self.values(Self.integers([tiny], scale: k).integers, scale: k)[0]
        #expect(abs(Double(back) - Double(tiny)) <= resolution / 2)
        let (total, overflow) = integers[0].multipliedReportingOverflow(by: Int64(groups))
        #expect(!overflow && total < Int64(1) << 62 && Double(integers[0]) <= limit)
        // Below the resolution 2^−k a value is lost (and says so by rounding to 0); ties go to even.
        #expect(Self.integers([Float(sign: .plus, exponent: -k - 2, significand: 1)], scale: k).integers == [0])
        #expect(Self.integers([0.5, 1.5, 2.5, -0.5, -1.5], scale: 0).integers == [0, 2, 2, 0, -2])
        // Negative sums come back negative, subnormal ones rounded once.
        #expect(Self.values([-3], scale: 1) == [-1.5])
        #expect(Self.values([1], scale: 149) == [.leastNonzeroMagnitude])
    }

    /// A value that is not finite, or beyond the limit, is reported, never summed.
    @Test func valuesBeyondTheBoundAreReported() {
        let k = ExactReduction.scale(maximum: 1, groups: 4)!, limit = ExactReduction.limit(groups: 4)
        #expect(Self.integers([0.5, 0.99], scale: k, limit: limit).flags == 0)
        #expect(Self.integers([0.5, 2.5], scale: k, limit: limit).flags == 2)
        #expect(Self.integers([.nan, 0.5], scale: k, limit: limit).flags == 1)
        #expect(Self.integers([0.5, -.infinity, 3], scale: k, limit: limit).flags == 3)
        // In a tail lane too (the eleventh of eleven), and in a strided block's later row.
        var eleven = [Float](repeating: 0.25, count: 11)
        eleven[10] = 7
        #expect(Self.integers(eleven, scale: k, limit: limit).flags == 2)
    }

    /// The AVX-512 path and the portable one give the same integers and Floats, for blocks with
    /// strides and tails, ties, values that are not finite or beyond the limit. (On a CPU without
    /// AVX-512 DQ both calls take the portable path, and the test checks only the flags.)
    @Test func bothPathsGiveTheSameBits() {
        var stream = RandomStream(Philox(seed: 4), .syntheticData, a: 2)
        let rows = 5, columns = 37, stride = 41, sumStride = 43
        var x = [Float](repeating: 0, count: rows * stride)
        for j in x.indices {
            let e = Int(stream.nextUniform() * 40) - 30
            x[j] = (stream.nextUniform() * 2 - 1) * Float(sign: .plus, exponent: e, significand: 1)
        }
        x[3] = 0x1p-20 * 1.5   // x·2^k ends in .5: a tie
        x[4] = -0x1p-20 * 2.5
        let k = 20 + 1, limit = 0x1p50
        // Values the conversion must refuse, in a full lane group and in a tail: both paths flag
        // them alike and store 0 for them.
        var flagged = x
        flagged[2 * stride + 5] = .nan
        flagged[3 * stride + columns - 1] = -.infinity
        flagged[4 * stride + 33] = 0x1p40   // 2^61 after scaling: beyond the limit
        for values in [x, flagged] {
        for store in [true, false] {
            var wide = [Int64](repeating: 7, count: rows * sumStride), portable = wide
            let a = values.withUnsafeBufferPointer { xp in
                wide.withUnsafeMutableBufferPointer {
                    thinned_exact_accumulate(xp.baseAddress!, rows, columns, stride, $0.baseAddress!, sumStride, Int32(k), limit, store ? 1 : 0)
                }
            }
            let b = values.withUnsafeBufferPointer { xp in
                portable.withUnsafeMutableBufferPointer {
                    thinned_exact_accumulate_portable(xp.baseAddress!, rows, columns, stride, $0.baseAddress!, sumStride, Int32(k), limit, store ? 1 : 0)
                }
            }
            #expect(a == b && wide == portable)
            #expect(a == (values == x ? 0 : 3))
            // Only the block is written: the gaps between rows keep their 7.
            #expect(wide[columns] == 7 && wide[sumStride + columns + 1] == 7)
        }
        }
        #expect(thinned_largest_magnitude(x, x.count) == x.map(abs).max()!)
        #expect(thinned_largest_magnitude(x, 13) == x.prefix(13).map(abs).max()!)
        var sums = [Int64](repeating: 0, count: 77)
        for j in sums.indices {
            sums[j] = Int64(bitPattern: (UInt64(stream.nextUniform() * 0x1p24) << 40) | UInt64(stream.nextUniform() * 0x1p24)) >> (j % 64)
        }
        sums[0] = (1 << 40) + (1 << 16)   // exactly between two Floats: ties to even
        sums[1] = Int64.min + 1
        for scale in [0, 30, 62, 170] {
            var wide = [Float](repeating: 0, count: 77), portable = wide
            sums.withUnsafeBufferPointer { s in
                wide.withUnsafeMutableBufferPointer { thinned_exact_values(s.baseAddress!, 77, Int32(scale), $0.baseAddress!) }
                portable.withUnsafeMutableBufferPointer { thinned_exact_values_portable(s.baseAddress!, 77, Int32(scale), $0.baseAddress!) }
            }
            #expect(wide.map(\.bitPattern) == portable.map(\.bitPattern), "scale \(scale)")
        }
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
        let k = ExactReduction.scale(maximum: maximum, groups: groups)!, limit = ExactReduction.limit(groups: groups)
        func sums(_ order: [Int]) -> [Int64] {
            var sums = [Int64](repeating: 0, count: count)
            for g in order {
                values[g].withUnsafeBufferPointer { v in
                    sums.withUnsafeMutableBufferPointer {
                        #expect(ExactReduction.accumulate(v.baseAddress!, columns: count, scale: k, limit: limit, into: $0.baseAddress!) == 0)
                    }
                }
            }
            return sums
        }
        let forward = sums(Array(0..<groups))
        #expect(sums(Array((0..<groups).reversed())) == forward)
        #expect(sums([3, 0, 6, 1, 5, 2, 4]) == forward)
        let back = Self.values(forward, scale: k)
        for j in 0..<count {
            let exact = values.reduce(0.0) { $0 + Double($1[j]) }
            // One Float rounding, plus what fell below the resolution 2^−k in each group.
            let resolution = Double(groups) * Double(sign: .plus, exponent: -k, significand: 1)
            #expect(abs(Double(back[j]) - exact) <= Double(back[j].ulp) / 2 + resolution, "element \(j)")
        }
    }

    /// Each tensor's bound, from the rows' largest |δ| and |z̃|, is above every value of every
    /// group's gradient — each group's sum Σᵢ δᵢ z̃ᵢᵀ / B formed again in Double from the deltas
    /// and inputs the step left in its workspace — and not far above it.
    @Test func theBoundsCoverEveryGroupsGradient() throws {
        var configuration = Self.configuration
        configuration.optimizer = .init(kind: .sgd)
        let trainer = try Trainer(configuration: configuration, data: Self.data, pool: DispatchExecutor(workers: 2))
        trainer.train(batch: EpochOrder(count: Self.data.train.count, batchSize: 100, epoch: 0, seed: 11).batch(0))
        let step = try #require(trainer.engine as? FusedStep), exact = try #require(step.exact)
        let workspace = step.workspace
        for (l, layer) in step.network.layout.layers.enumerated() {
            let delta = workspace.delta(layer: l), input = workspace.inputs[l]
            var weights = 0.0, bias = 0.0
            for g in 0..<4 {
                let rows = (g * 25)..<((g + 1) * 25)
                for o in 0..<layer.outputs {
                    var b = 0.0
                    for r in rows { b += Double(delta[r * layer.outputs + o]) }
                    bias = max(bias, abs(b) / 100)
                    var sums = [Double](repeating: 0, count: layer.inputs)
                    for r in rows {
                        let d = Double(delta[r * layer.outputs + o])
                        for j in 0..<layer.inputs { sums[j] += d * Double(input[r * layer.inputs + j]) }
                    }
                    weights = max(weights, sums.map(abs).max()! / 100)
                }
            }
            for (t, largest) in [(2 * l, weights), (2 * l + 1, bias)] {
                let bound = Double(exact.bounds[t])
                #expect(largest > 0 && largest <= bound, "tensor \(t): \(largest) above its bound \(bound)")
                #expect(bound <= 64 * largest, "tensor \(t): bound \(bound) for \(largest): more than 6 bits above")
            }
        }
    }

    /// The default group: at most 100 samples and a quarter of the batch, a multiple of the shard
    /// that divides the batch; the shard itself when none is.
    @Test func defaultGroupSizes() {
        for (batch, shard, expected) in [(100, 25, 25), (1000, 25, 100), (200, 25, 50), (500, 25, 100), (50, 25, 25),
                                         (60000, 25, 100), (300, 25, 75), (120, 30, 30), (1000, 10, 100), (990, 30, 90), (25, 25, 25)] {
            #expect(TrainingConfiguration.defaultGroupSize(batchSize: batch, shardSize: shard) == expected, "batch \(batch), shard \(shard)")
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
