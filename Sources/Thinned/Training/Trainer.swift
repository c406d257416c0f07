import Crypto
import Parallel

/// A training run: Algorithm 5-8 epoch after epoch on a worker pool, with evaluation on the
/// test set after each epoch.
///
/// Determinism: same configuration, seed, data and binary ⇒ the same bits, for any pool.
public final class Trainer {
    /// What decides the run's bits: model, optimizer, batch, epochs, seed, gradient mode, shard size.
    public let configuration: TrainingConfiguration
    /// The training set the run trains on and the test set it is evaluated on after each epoch.
    public let data: DataSplit
    /// The workers every step and evaluation runs on (a `WorkerPool`, or a `DispatchExecutor` to
    /// compare with); it changes the speed, never the bits.
    public let pool: any ForkJoinExecutor
    /// The parameters, the last gradient, the optimizer state and the step count.
    public private(set) var state: TrainingState
    /// Epochs completed.
    public private(set) var epoch = 0
    /// Steps completed in the epoch under way (0 at an epoch boundary).
    public private(set) var stepInEpoch = 0
    /// The sum of those steps' losses.
    public private(set) var epochLossSum = 0.0
    /// Set once a step's loss was not finite; the run cannot go on.
    public private(set) var divergence: TrainingError?
    /// What the run trains on, recorded in its checkpoints (set by whoever loaded the data).
    public var dataIdentity: DatasetIdentity?

    let network: Network
    private(set) var engine: GradientEngine
    /// Each step's batch under Poisson sampling; nil for shuffled batches.
    let poisson: PoissonBatches?
    /// Whether epochs report `PerSampleStatistics`.
    let perSampleStatistics: Bool
    /// The statistics of the epoch under way (this call's steps), when collected.
    private var accumulator: PerSampleAccumulator?
    let evaluator: Evaluator
    /// The processes that share each step (one, without MPI).
    public let communicator: Communicator

    /// A run from its first step, or from `checkpoint` (whose configuration must equal
    /// `configuration` but for the number of epochs).
    ///
    /// `perSampleStatistics`: measure every sample's gradient norm each step and report the
    /// epoch's `PerSampleStatistics` (it changes no bits).
    ///
    /// `communicator`: the processes that share each step under `--reduce exact` (every process
    /// builds its trainer with the same configuration and data, and gets the same bits).
    public init(configuration: TrainingConfiguration, data: DataSplit, pool: any ForkJoinExecutor,
                resumingFrom checkpoint: Checkpoint? = nil, perSampleStatistics: Bool = false,
                communicator: Communicator = LocalCommunicator()) throws(ConfigurationError) {
        try configuration.validate(for: data)
        if communicator.size > 1, configuration.exactGroupSize == nil {
            throw .invalid(option: "--reduce", value: "tiles", expected: "exact when \(communicator.size) processes train together (the default under mpirun or srun; a checkpoint trained with --reduce tiles resumes on one process only)")
        }
        if let groupSize = configuration.exactGroupSize,
           let problem = GroupPlan.problem(batchSize: configuration.batchSize, groupSize: groupSize, ranks: communicator.size) {
            throw .invalid(option: "--group-size", value: "\(groupSize)", expected: "groups every process has at least one of: \(problem)")
        }
        try BLAS.requireCapacity(workers: pool.count)
        try Self.requireMemory(for: configuration, workers: pool.count)
        if let checkpoint {
            var expected = checkpoint.configuration
            expected.epochs = configuration.epochs
            precondition(expected == configuration, "Trainer: resuming with a configuration that is not the checkpoint's")
            // The position must be one this data set has: a checkpoint of other data (or a
            // damaged one) would otherwise resume past the end of an epoch.
            let batches = data.train.count / configuration.batchSize
            let position = "epoch \(checkpoint.epoch), step \(checkpoint.stepInEpoch) of it, \(checkpoint.state.step) steps"
            guard checkpoint.stepInEpoch < batches, checkpoint.state.step == checkpoint.epoch * batches + checkpoint.stepInEpoch else {
                throw .invalid(option: "--resume", value: position,
                               expected: "a position in a run of \(batches) steps per epoch (\(data.train.count) training samples of \(data.train.name), batch \(configuration.batchSize)): the checkpoint was written for other data, or is damaged")
            }
        }
        self.configuration = configuration
        self.data = data
        self.pool = pool
        self.network = Network(model: configuration.model, seed: configuration.seed)
        self.state = checkpoint?.state
            ?? TrainingState(model: configuration.model, optimizer: configuration.optimizer, seed: configuration.seed)
        self.epoch = checkpoint?.epoch ?? 0
        self.stepInEpoch = checkpoint?.stepInEpoch ?? 0
        self.epochLossSum = checkpoint?.epochLossSum ?? 0
        poisson = configuration.sampling == .poisson
            ? PoissonBatches(count: data.train.count, batchSize: configuration.batchSize, seed: configuration.seed) : nil
        self.communicator = communicator
        engine = Self.engine(configuration, network: network, pool: pool, capacity: poisson?.typicalMaximum,
                             measuresStatistics: perSampleStatistics, communicator: communicator)
        self.perSampleStatistics = perSampleStatistics
        evaluator = Evaluator(network: network, pool: pool)
    }

    /// Progress within an epoch, reported after every step.
    public struct StepReport: Sendable {
        /// The epoch under way, counted from 1.
        public let epoch: Int
        /// The steps done in this epoch, counted from 1 (this one included).
        public let step: Int
        /// The number of steps in the epoch: its full batches.
        public let steps: Int
        /// This step's mean loss over the batch.
        public let loss: Float
        /// Wall time since this call of `trainEpoch` began, in seconds.
        public let seconds: Double
        /// Training samples per second since this call of `trainEpoch` began.
        public let samplesPerSecond: Double
    }

    /// One finished epoch.
    public struct EpochReport: Sendable, Codable {
        /// The epoch just finished, counted from 1.
        public let epoch: Int
        /// The mean over the epoch's steps of each step's mean batch loss (including steps before a resume).
        public let trainLoss: Double
        /// The fraction of the test set predicted right, by weight scaling.
        public let testAccuracy: Double
        /// The mean negative log-likelihood of the test set's labels, by weight scaling.
        public let testLoss: Double
        /// Training samples per second over the steps of this call (evaluation excluded).
        public let samplesPerSecond: Double
        /// Wall time of this call's training steps, in seconds (evaluation excluded).
        public let seconds: Double
        /// The median of this call's step times, in seconds: the step alone, without the
        /// progress, checkpoints and stop checks between steps — the figure `thinned scale`
        /// reports for the same step.
        public let medianStepSeconds: Double
        /// The ε of (ε, δ)-DP spent by every step so far (resumed ones included), when the steps
        /// add noise and it is finite (nil too for noise so small that it bounds nothing).
        public let epsilon: Double?
        /// The Rényi order at which the accountant found that ε.
        public let epsilonOrder: Double?
        /// The per-sample gradient statistics of this call's steps, when the trainer collects them.
        public let perSample: PerSampleStatistics?
    }

    /// Runs the rest of the epoch under way (all of the next one at an epoch boundary): shuffles,
    /// trains every remaining full batch, evaluates on the test set. `shouldStop` is asked after
    /// every step; when it says yes the epoch stops there and nil is returned (resume from
    /// `checkpoint`).
    ///
    /// A step whose loss is not finite ends the run: `TrainingError.diverged` is thrown; so is
    /// `unusableWeights` when, at the end of the epoch, the weights are not finite or the test
    /// set's loss is not (weights finite but huge). From then on the state is not to be saved
    /// (`checkpoint` still describes it, but `Checkpoint.write` refuses non-finite values), so the
    /// last checkpoint written stays the last good one.
    public func trainEpoch(onStep: (StepReport) -> Void = { _ in }, shouldStop: () -> Bool = { false })
        throws(TrainingError) -> EpochReport?
    {
        if let divergence { throw divergence }
        return try pool.pinningCaller { () throws(TrainingError) -> EpochReport? in
            try runEpoch(onStep: onStep, shouldStop: shouldStop)
        }
    }

    /// `trainEpoch`'s work, with the calling thread in its place as worker 0.
    private func runEpoch(onStep: (StepReport) -> Void, shouldStop: () -> Bool) throws(TrainingError) -> EpochReport? {
        let order = EpochOrder(count: data.train.count, batchSize: configuration.batchSize, epoch: epoch,
                               seed: configuration.seed)
        let start = Clock.seconds()
        let first = stepInEpoch
        if perSampleStatistics {
            accumulator = PerSampleAccumulator(batchSize: configuration.batchSize,
                                               clipNorm: configuration.privacy.map { Double($0.clipNorm) })
        }
        var stepTimes: [Double] = [], samplesDone = 0
        stepTimes.reserveCapacity(order.batches - first)
        while stepInEpoch < order.batches {
            let begin = Clock.seconds()
            let batch = nextBatch(order)
            let loss = train(batch: batch)
            stepTimes.append(Clock.seconds() - begin)
            accumulator?.add(norms: engine.sampleNorms, count: batch.count,
                             batchGradientSquaredNorm: engine.batchGradientSquaredNorm)
            guard loss.isFinite else {
                if engine.exactOverflow { throw diverge(.exactOverflow(epoch: epoch + 1, step: stepInEpoch + 1)) }
                throw diverge(.diverged(epoch: epoch + 1, step: stepInEpoch + 1, loss: loss))
            }
            // A Poisson batch weighs by its size: the epoch's loss is the mean over its samples.
            epochLossSum += poisson == nil ? Double(loss) : Double(loss) * Double(batch.count) / Double(configuration.batchSize)
            stepInEpoch += 1
            let seconds = Clock.seconds() - start
            samplesDone += batch.count
            onStep(StepReport(epoch: epoch + 1, step: stepInEpoch, steps: order.batches, loss: loss, seconds: seconds,
                              samplesPerSecond: Double(samplesDone) / seconds))
            if stepInEpoch < order.batches && shouldStop() { return nil }
        }
        let seconds = Clock.seconds() - start
        let trainLoss = epochLossSum / Double(order.batches)
        epoch += 1
        stepInEpoch = 0
        epochLossSum = 0
        guard state.parameters.allSatisfy({ $0.isFinite }) else {
            throw diverge(.unusableWeights(epoch: epoch, reason: "the weights are no longer finite"))
        }
        let test = evaluate(data.test)
        guard test.meanLoss.isFinite else {
            throw diverge(.unusableWeights(epoch: epoch, reason: "the weights are so large that the test set's predictions are not numbers"))
        }
        let spent = privacySpent
        return EpochReport(epoch: epoch, trainLoss: trainLoss, testAccuracy: test.accuracy, testLoss: test.meanLoss,
                           samplesPerSecond: Double(samplesDone) / seconds,
                           seconds: seconds, medianStepSeconds: stepTimes.isEmpty ? 0 : ScaleMath.median(stepTimes),
                           epsilon: spent.flatMap { $0.epsilon.isFinite ? $0.epsilon : nil },
                           epsilonOrder: spent.flatMap { $0.epsilon.isFinite ? $0.order : nil }, perSample: accumulator?.statistics())
    }

    /// The step engine of `configuration` for batches of up to `capacity` samples (its batch
    /// size when nil).
    static func engine(_ configuration: TrainingConfiguration, network: Network, pool: any ForkJoinExecutor, capacity: Int?,
                       measuresStatistics: Bool, communicator: Communicator) -> GradientEngine {
        switch configuration.stepMode {
        case .fused:
            FusedStep(network: network, pool: pool, batchSize: configuration.batchSize, capacity: capacity,
                      shardSize: configuration.shardSize, privacy: configuration.privacy, measuresStatistics: measuresStatistics,
                      exact: configuration.exactGroupSize.map { groupSize in
                          ExactGroups(plan: GroupPlan(batchSize: configuration.batchSize, groupSize: groupSize, ranks: communicator.size)!,
                                      communicator: communicator, layout: network.layout)
                      })
        case .literal:
            LiteralStep(network: network, pool: pool, batchSize: configuration.batchSize, capacity: capacity,
                        privacy: configuration.privacy, measuresStatistics: measuresStatistics)
        }
    }

    /// The training indices of the next step's batch: batch `stepInEpoch` of `order`, or
    /// Poisson sampling's draw for the step.
    func nextBatch(_ order: EpochOrder) -> ArraySlice<Int32> {
        guard let poisson else { return order.batch(stepInEpoch) }
        return poisson.batch(step: state.step + 1)[...]
    }

    /// Records why the run cannot go on, and returns it to throw.
    private func diverge(_ error: TrainingError) -> TrainingError {
        divergence = error
        return error
    }

    /// The (ε, δ = `privacy.delta`) spent by the steps taken so far, by the RDP accountant with
    /// sampling rate |𝔹|/N; nil when the steps add no noise. A pure function of the step count
    /// and the configuration, so a resumed run goes on counting exactly where it stopped.
    public var privacySpent: (epsilon: Double, order: Double)? {
        configuration.privacy?.epsilon(steps: state.step, samplingRate: configuration.samplingRate(trainingSamples: data.train.count))
    }

    /// The run as it stands, to write to a file and resume from.
    public var checkpoint: Checkpoint {
        Checkpoint(configuration: configuration, state: state, epoch: epoch, stepInEpoch: stepInEpoch, epochLossSum: epochLossSum,
                   dataIdentity: dataIdentity)
    }

    /// One step of Algorithm 5-8 on the training samples `indices`; returns the batch's mean loss.
    ///
    /// On a `WorkerPool` the calling thread is worker 0 and runs its share of the step wherever
    /// it is; wrap a run of steps in `pool.pinningCaller { … }` to bind it to worker 0's place
    /// once for all of them, as `trainEpoch` and `profile` do. Not per step: binding and
    /// restoring cost system calls and allocations inside hwloc, and a step allocates nothing.
    @discardableResult
    public func train(batch indices: ArraySlice<Int32>) -> Float {
        precondition(indices.count == configuration.batchSize || poisson != nil,
                     "Trainer.train: batch of \(indices.count), configured for \(configuration.batchSize)")
        if let poisson, indices.count > engine.capacity {
            // A Poisson batch beyond eight standard deviations: a larger engine, the same bits.
            engine = Self.engine(configuration, network: network, pool: pool, capacity: max(indices.count, poisson.typicalMaximum),
                                 measuresStatistics: perSampleStatistics, communicator: communicator)
        }
        let step = state.step + 1
        let update = configuration.optimizer.update(step: step)
        let engine = self.engine
        let loss = data.train.images.withUnsafeBufferPointer { images in
            data.train.labels.withUnsafeBufferPointer { labels in
                indices.withUnsafeBufferPointer { indices in
                    var batch = Network.Batch(images: images.baseAddress!, labels: labels.baseAddress!,
                                              indices: indices.baseAddress!, count: indices.count, masks: .training(step: step))
                    batch.augmentation = configuration.augmentation
                    batch.epoch = epoch
                    return engine.step(&state, batch: batch, update: update)
                }
            }
        }
        state.step = step
        return loss
    }

    /// What `profile` measured.
    public struct ProfiledSteps: Sendable {
        /// Each step's wall time, in seconds.
        public let stepSeconds: [Double]
        /// Where the time went.
        public let profile: StepProfile
        /// Heap allocations made while the steps ran, when a counter was given.
        public let allocations: Int?
        /// Every task's duration and every fork–join's wall time of the steps.
        public let tasks: TaskLog
    }

    /// Runs `steps` steps on consecutive batches of `order` from batch `first` (wrapping around),
    /// timing each: for `thinned scale` and the benchmarks. `allocationCount`, when given, reads a
    /// process-wide allocation counter; only the steps themselves are counted.
    public func profile(steps: Int, batches order: EpochOrder, startingAt first: Int = 0,
                        allocationCount: (() -> Int)? = nil) -> ProfiledSteps {
        let profiler = Profiler(workers: pool.count, phaseTasks: engine.phaseTaskCounts, steps: steps)
        engine.profiler = profiler
        defer { engine.profiler = nil }
        var times = [Double](repeating: 0, count: steps)
        var allocations: Int?, wall = 0.0
        pool.pinningCaller {
            let allocationsBefore = allocationCount?() ?? 0
            let start = Clock.seconds()
            for s in 0..<steps {
                let begin = Clock.seconds()
                train(batch: order.batch((first + s) % order.batches))
                times[s] = Clock.seconds() - begin
            }
            wall = Clock.seconds() - start
            // Not `allocationCount.map { … }`: an unoptimised build allocates that closure's
            // context before the counter is read, and counts it as the steps' own.
            if let allocationCount { allocations = allocationCount() - allocationsBefore }
        }
        return ProfiledSteps(stepSeconds: times, profile: profiler.profile(steps: steps, wallSeconds: wall),
                             allocations: allocations, tasks: profiler.taskLog(stepSeconds: times))
    }

    /// Accuracy, mean loss, calibration and confusion of the current parameters on `dataset`,
    /// predicting by `rule` (default: weight scaling, no randomness).
    public func evaluate(_ dataset: Dataset, rule: InferenceRule = .weightScaling) -> Evaluation {
        evaluator.evaluate(dataset, parameters: state.parameters, rule: rule)
    }

    /// The time this process's steps spent in `--reduce exact`'s collectives so far; nil for a
    /// step that sums in tiles.
    public var reductionTimes: ReductionTimes? { (engine as? FusedStep)?.exact?.times }

    /// SHA-256 of the parameters' bytes (little-endian IEEE 754 floats, layout order), in hex.
    public var weightsDigest: String { Self.digest(state.parameters) }

    /// SHA-256 of a float buffer's bytes, in hex.
    public static func digest(_ values: [Float]) -> String {
        hex(values.withUnsafeBytes { SHA256.hash(data: $0) })
    }

    /// Bytes as lowercase hex, two digits each.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
