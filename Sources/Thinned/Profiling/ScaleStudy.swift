import Parallel

/// A scaling study: the training step timed at several worker counts, placements and batch sizes,
/// each against the roofline, with the weights' digest to prove every pool computes the same bits.
public struct ScaleStudy: Sendable {
    /// The run every point trains; its batch size is replaced by each of `batches`.
    public var training: TrainingConfiguration
    /// The worker counts to time; the smallest is the speedup's baseline.
    public var threads: [Int]
    /// The bind policies to time at every worker count.
    public var binds: [BindPolicy]
    /// Whether workers are bound to cores or to single PUs.
    public var places: PlaceKind
    /// The batch sizes to time, each with its own roofline.
    public var batches: [Int]
    /// Worker counts to predict the step for (`WorkSpan`), beside the measured ones.
    public var predict: [Int] = []
    /// Floats per array of the triad that measures the memory roof (nil: 4 × the last-level
    /// caches, `MemoryBandwidth.arrayElements`).
    public var streamArrayElements: Int?
    /// Timed repetitions of the triad; the fastest counts.
    public var bandwidthRepetitions = 5
    /// Steps run before timing, so that caches, pages and the pool are warm.
    public var warmupSteps: Int
    /// Steps timed per repeat.
    public var steps: Int
    /// How many times the timed steps are repeated; every step's time enters the median.
    public var repeats: Int
    /// Whether more workers than places may be started (`--oversubscribe`).
    public var oversubscribe: Bool
    /// The executors to time: the pinned pool once per bind policy, Dispatch once (unpinned:
    /// `binds` do not apply to it, and its rows say `.none`).
    public var executors: [ExecutorKind]

    /// A study of these options (unchecked: see `validate(usableThreads:)`).
    public init(training: TrainingConfiguration, threads: [Int], binds: [BindPolicy], places: PlaceKind, batches: [Int],
                warmupSteps: Int, steps: Int, repeats: Int, oversubscribe: Bool = false, executors: [ExecutorKind] = [.pool]) {
        self.training = training
        self.threads = threads
        self.binds = binds
        self.places = places
        self.batches = batches
        self.warmupSteps = warmupSteps
        self.steps = steps
        self.repeats = repeats
        self.oversubscribe = oversubscribe
        self.executors = executors
    }

    /// One configuration's figures.
    public struct Row: Sendable, Codable {
        /// The batch size.
        public let batch: Int
        /// What ran the step's tasks.
        public let executor: ExecutorKind
        /// The bind policy; `.none` for Dispatch, whose threads are never pinned.
        public let bind: BindPolicy
        /// The number of workers.
        public let threads: Int
        /// The median step time, in seconds.
        public let medianSeconds: Double
        /// The fastest step's time, in seconds.
        public let minSeconds: Double
        /// The slowest step's time, in seconds.
        public let maxSeconds: Double
        /// Training throughput at the median step time: batch / `medianSeconds`.
        public let samplesPerSecond: Double
        /// The speedup over the series' smallest worker count (`ScaleMath.speedup`).
        public let speedup: Double
        /// Parallel efficiency, speedup / workers.
        public let efficiency: Double
        /// The Karp–Flatt serial fraction; nil for one worker.
        public let karpFlatt: Double?
        /// `samplesPerSecond` as a fraction of what the roofline allows on this many workers.
        public let rooflineFraction: Double
        /// Per step and per worker, in seconds.
        public let forwardSeconds, backwardSeconds, parameterSeconds, updateSeconds, waitingSeconds, serialSeconds: Double
        /// Heap allocations per timed step; 0 when no counter was given.
        public let allocationsPerStep: Double
        /// The number of workers bound where the plan put them.
        public let pinnedWorkers: Int
        /// SHA-256 of the weights after all the steps.
        public let digest: String
    }

    /// One (batch, executor, bind) series: its Amdahl fit.
    public struct Series: Sendable, Codable {
        /// The batch size.
        public let batch: Int
        /// What ran the step's tasks.
        public let executor: ExecutorKind
        /// The bind policy.
        public let bind: BindPolicy
        /// Amdahl's law fitted to the series' median step times; nil with fewer than two worker counts.
        public let fit: ScaleMath.AmdahlFit?
    }

    /// Everything the study measured.
    public struct Report: Sendable, Codable {
        /// The single-thread `sgemm` roofline of each batch size, in the order of `batches`.
        public let rooflines: [Roofline]
        /// Every measured configuration, in the order measured.
        public var rows: [Row]
        /// One Amdahl fit per (batch, executor, bind) series.
        public var series: [Series]
        /// The configurations whose digest differs from the first one of their batch size.
        public var mismatches: [String]
        /// The triad bandwidth of each bind policy and worker count.
        public var bandwidths: [BandwidthPoint] = []
        /// The analytic bytes and flops of each phase of a step, one list per batch size (fused
        /// steps only: empty in literal mode).
        public var traffic: [[PhaseTraffic]] = []
        /// Every configuration's phases against the compute and memory roofs, in the order of
        /// `rows` (fused steps only).
        public var phaseRoofs: [PhaseRoofs] = []
        /// Work, span and predictions, one per (batch, bind) series.
        public var workSpans: [WorkSpan] = []
        /// True when every configuration computed the same weights as the first of its batch size.
        public var identical: Bool { mismatches.isEmpty }
    }

    /// Checks the study's own options; the training configuration is checked by `Trainer`.
    /// Under `--reduce exact` without a group size: each batch size takes its own default group
    /// size (`TrainingConfiguration.defaultGroupSize`), not the first batch's.
    public var groupSizeFollowsBatch = false

    public func validate(usableThreads: Int) throws(ConfigurationError) {
        try Self.validate(threads: threads, batches: batches, binds: binds, executors: executors, steps: steps,
                          warmupSteps: warmupSteps, repeats: repeats, predict: predict)
        if let top = threads.max(), top > usableThreads, !oversubscribe {
            throw .invalid(option: "--threads", value: threads.map(String.init).joined(separator: ","),
                           expected: "at most the \(usableThreads) places of the usable set (or --oversubscribe)")
        }
        if let elements = streamArrayElements, elements < 1 {
            throw .invalid(option: "--stream-array-mib", value: "\(elements) floats", expected: "arrays of at least 1 float")
        }
    }

    /// The checks of the study's lists and counts that need no machine (the command line runs them
    /// before anything is loaded): each list non-empty, without a value twice (it would be measured
    /// twice, as two rows of one configuration; repeated `--predict` counts are merged instead), and
    /// every count in range.
    public static func validate(threads: [Int], batches: [Int], binds: [BindPolicy], executors: [ExecutorKind],
                                steps: Int, warmupSteps: Int, repeats: Int, predict: [Int]) throws(ConfigurationError) {
        func listed<T: Equatable>(_ values: [T]) -> String { values.map { "\($0)" }.joined(separator: ",") }
        func twice<T: Equatable>(_ values: [T]) -> T? { values.first { v in values.filter { $0 == v }.count > 1 } }
        guard !threads.isEmpty, threads.allSatisfy({ $0 >= 1 }) else {
            throw .invalid(option: "--threads", value: listed(threads), expected: "worker counts of at least 1")
        }
        guard !batches.isEmpty, batches.allSatisfy({ $0 >= 1 }) else {
            throw .invalid(option: "--batch", value: listed(batches), expected: "batch sizes of at least 1")
        }
        guard !binds.isEmpty else { throw .invalid(option: "--bind", value: "", expected: "at least one policy") }
        guard !executors.isEmpty else { throw .invalid(option: "--executor", value: "", expected: "at least one executor") }
        if let v = twice(threads) { throw .invalid(option: "--threads", value: listed(threads), expected: "each count once (\(v) is listed twice)") }
        if let v = twice(batches) { throw .invalid(option: "--batch", value: listed(batches), expected: "each size once (\(v) is listed twice)") }
        if let v = twice(binds) { throw .invalid(option: "--bind", value: listed(binds), expected: "each policy once (\(v) is listed twice)") }
        if let v = twice(executors) { throw .invalid(option: "--executor", value: listed(executors), expected: "each executor once (\(v) is listed twice)") }
        guard steps >= 1 else { throw .invalid(option: "--steps", value: "\(steps)", expected: "at least 1") }
        guard warmupSteps >= 0 else { throw .invalid(option: "--warmup", value: "\(warmupSteps)", expected: "0 or more") }
        guard repeats >= 1 else { throw .invalid(option: "--repeat", value: "\(repeats)", expected: "at least 1") }
        guard predict.allSatisfy({ $0 >= 1 }) else {
            throw .invalid(option: "--predict", value: listed(predict), expected: "worker counts of at least 1")
        }
    }

    /// Runs the study on `topology`, loaded once for every pool (or why hwloc could not load it:
    /// then every pool runs unpinned, and saying so is the caller's). `data(batch)` supplies the
    /// data for a batch size; `allocationCount` reads a process-wide allocation counter; `onRow`
    /// sees each row as it is measured, `onPhaseRoofs` its phases against the two roofs right
    /// after it (fused steps only), and `onWorkSpan` each series' work/span analysis after its rows.
    public func run(topology: Result<Topology, TopologyError>, data: (Int) throws -> DataSplit, allocationCount: (() -> Int)?,
                    onRoofline: (Roofline) -> Void = { _ in }, onRow: (Row) -> Void = { _ in },
                    onPhaseRoofs: (PhaseRoofs) -> Void = { _ in }, onWorkSpan: (WorkSpan) -> Void = { _ in }) throws -> Report {
        var rooflines: [Roofline] = []
        var rows: [Row] = []
        var series: [Series] = []
        var mismatches: [String] = []
        var probes = Probes(study: self, topology: topology)
        var allTraffic: [[PhaseTraffic]] = [], phaseRoofs: [PhaseRoofs] = [], workSpans: [WorkSpan] = []
        let counts = threads.sorted()
        for batch in batches {
            var configuration = training
            configuration.batchSize = batch
            if groupSizeFollowsBatch, configuration.exactGroupSize != nil {
                configuration.exactGroupSize = TrainingConfiguration.defaultGroupSize(batchSize: batch, shardSize: configuration.shardSize)
            }
            let split = try data(batch)
            let roofline = Roofline.measure(model: configuration.model, batch: batch,
                                            pool: try startPool(threads: 1, bind: .close, topology: topology).pool)
            rooflines.append(roofline)
            onRoofline(roofline)
            // The byte and flop model describes the fused step's phases, not the literal step's.
            let traffic = configuration.stepMode == .fused
                ? PhaseTraffic.model(configuration.model, batch: batch, optimizer: configuration.optimizer.kind) : []
            if !traffic.isEmpty { allTraffic.append(traffic) }
            var reference: String?
            // Dispatch's threads are GCD's and never pinned: one unpinned series, whatever `binds`.
            let runs = executors.flatMap { executor in
                executor == .pool ? binds.map { (executor, $0) } : [(executor, BindPolicy.none)]
            }
            for (executor, bind) in runs {
                var points: [(threads: Int, seconds: Double)] = []
                var base: (threads: Int, seconds: Double)?
                var logs = SeriesLogs()
                for count in counts {
                    let start = try executor == .pool ? startPool(threads: count, bind: bind, topology: topology) : nil
                    // The roofs, the join cost and the contention are the pool's: Dispatch rows are the step alone.
                    // The stalls on the series' base pool (the smallest count, first), whose tasks give the span.
                    let probe = start.map {
                        probes.measure(pool: $0.pool, bind: bind, model: configuration.model, roofline: roofline, stalls: base == nil)
                    }
                    let workers: any ForkJoinExecutor = try start?.pool ?? DispatchExecutor(workers: count)
                    let trainer = try Trainer(configuration: configuration, data: split, pool: workers)
                    let order = EpochOrder(count: split.train.count, batchSize: batch, epoch: 0, seed: configuration.seed)
                    _ = trainer.profile(steps: warmupSteps, batches: order)
                    var times: [Double] = []
                    var profile = StepProfile(workers: count)
                    var allocations = 0
                    var log: TaskLog?
                    let preempted = start.flatMap { Self.preemptions(of: $0.pool) }
                    for r in 0..<repeats {
                        let measured = trainer.profile(steps: steps, batches: order, startingAt: warmupSteps + r * steps,
                                                       allocationCount: allocationCount)
                        times += measured.stepSeconds
                        profile.add(measured.profile)
                        allocations += measured.allocations ?? 0
                        if log == nil { log = measured.tasks } else { log!.append(measured.tasks) }
                    }
                    let median = ScaleMath.median(times)
                    if base == nil { base = (count, median) }
                    points.append((count, median))
                    let speedup = ScaleMath.speedup(baseSeconds: base!.seconds, baseThreads: base!.threads, seconds: median)
                    let samplesPerSecond = Double(batch) / median
                    let phases = profile.perStep
                    let row = Row(batch: batch, executor: executor, bind: bind, threads: count, medianSeconds: median, minSeconds: times.min()!,
                                  maxSeconds: times.max()!, samplesPerSecond: samplesPerSecond, speedup: speedup,
                                  efficiency: ScaleMath.efficiency(speedup: speedup, threads: count),
                                  karpFlatt: ScaleMath.karpFlatt(speedup: speedup, threads: count),
                                  rooflineFraction: samplesPerSecond / roofline.samplesPerSecond(threads: count),
                                  forwardSeconds: phases.forward, backwardSeconds: phases.backward,
                                  parameterSeconds: phases.parameter, updateSeconds: phases.update,
                                  waitingSeconds: phases.waiting, serialSeconds: phases.serial,
                                  allocationsPerStep: Double(allocations) / Double(times.count),
                                  pinnedWorkers: start?.pinnedWorkers ?? 0, digest: trainer.weightsDigest)
                    if reference == nil { reference = row.digest }
                    if row.digest != reference {
                        mismatches.append("batch \(batch), " + (executor == .pool ? "--bind \(bind.rawValue)" : "dispatch")
                                          + ", \(count) threads")
                    }
                    rows.append(row)
                    onRow(row)
                    guard let start, let probe else { continue }
                    let preemptions = Self.preemptions(of: start.pool).flatMap { after in preempted.map { after - $0 } }
                    logs.add(workers: count, medianSeconds: median, log: log!, probe: probe,
                             preemptionsPerStep: preemptions.map { Double($0) / Double(times.count) })
                    if !traffic.isEmpty {
                        let roofs = PhaseRoofs.evaluate(
                            batch: batch, bind: bind, threads: count,
                            seconds: [.forward: phases.forward, .backward: phases.backward, .parameter: phases.parameter,
                                      .update: phases.update],
                            traffic: traffic, gigaflopsPerCore: roofline.gigaflopsPerCore, bandwidth: probe.bandwidth)
                        phaseRoofs.append(roofs)
                        onPhaseRoofs(roofs)
                    }
                }
                series.append(Series(batch: batch, executor: executor, bind: bind, fit: ScaleMath.amdahlFit(points)))
                if executor == .pool, let workSpan = logs.analyze(batch: batch, bind: bind, predict: predict) {
                    workSpans.append(workSpan)
                    onWorkSpan(workSpan)
                }
            }
        }
        return Report(rooflines: rooflines, rows: rows, series: series, mismatches: mismatches, bandwidths: probes.bandwidths,
                      traffic: allTraffic, phaseRoofs: phaseRoofs, workSpans: workSpans)
    }

    private func startPool(threads: Int, bind: BindPolicy, topology: Result<Topology, TopologyError>)
        throws(PoolError) -> PoolStart
    {
        try WorkerPool.start(threads: threads, bind: bind, places: places, oversubscribe: oversubscribe, topology: topology)
    }
}

extension StepProfile {
    /// Adds another profile's totals (same worker count).
    mutating func add(_ other: StepProfile) {
        steps += other.steps
        wallSeconds += other.wallSeconds
        forkJoinSeconds += other.forkJoinSeconds
        forwardSeconds += other.forwardSeconds
        backwardSeconds += other.backwardSeconds
        parameterSeconds += other.parameterSeconds
        updateSeconds += other.updateSeconds
        forkJoins += other.forkJoins
    }
}
