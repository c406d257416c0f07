import Parallel

/// A scaling study: the training step timed at several worker counts, placements and batch sizes,
/// each against the roofline, with the weights' digest to prove every pool computes the same bits.
public struct ScaleStudy: Sendable {
    public var training: TrainingConfiguration
    public var threads: [Int]
    public var binds: [BindPolicy]
    public var places: PlaceKind
    public var batches: [Int]
    public var warmupSteps: Int
    public var steps: Int
    public var repeats: Int
    public var oversubscribe: Bool

    public init(training: TrainingConfiguration, threads: [Int], binds: [BindPolicy], places: PlaceKind, batches: [Int],
                warmupSteps: Int, steps: Int, repeats: Int, oversubscribe: Bool = false) {
        self.training = training
        self.threads = threads
        self.binds = binds
        self.places = places
        self.batches = batches
        self.warmupSteps = warmupSteps
        self.steps = steps
        self.repeats = repeats
        self.oversubscribe = oversubscribe
    }

    /// One configuration's figures.
    public struct Row: Sendable, Codable {
        public let batch: Int
        public let bind: BindPolicy
        public let threads: Int
        public let medianSeconds: Double
        public let minSeconds: Double
        public let maxSeconds: Double
        public let samplesPerSecond: Double
        public let speedup: Double
        public let efficiency: Double
        public let karpFlatt: Double?
        public let rooflineFraction: Double
        /// Per step and per worker, in seconds.
        public let forwardSeconds, backwardSeconds, parameterSeconds, updateSeconds, waitingSeconds, serialSeconds: Double
        public let allocationsPerStep: Double
        public let pinnedWorkers: Int
        /// SHA-256 of the weights after all the steps.
        public let digest: String
    }

    /// One (batch, bind) series: its Amdahl fit.
    public struct Series: Sendable, Codable {
        public let batch: Int
        public let bind: BindPolicy
        public let fit: ScaleMath.AmdahlFit?
    }

    /// Everything the study measured.
    public struct Report: Sendable, Codable {
        public let rooflines: [Roofline]
        public var rows: [Row]
        public var series: [Series]
        /// The configurations whose digest differs from the first one of their batch size.
        public var mismatches: [String]
        public var identical: Bool { mismatches.isEmpty }
    }

    /// Checks the study's own options; the training configuration is checked by `Trainer`.
    public func validate(usableThreads: Int) throws(ConfigurationError) {
        guard !threads.isEmpty, threads.allSatisfy({ $0 >= 1 }) else {
            throw .invalid(option: "--threads", value: threads.map(String.init).joined(separator: ","),
                           expected: "worker counts of at least 1")
        }
        if let top = threads.max(), top > usableThreads, !oversubscribe {
            throw .invalid(option: "--threads", value: threads.map(String.init).joined(separator: ","),
                           expected: "at most the \(usableThreads) places of the usable set (or --oversubscribe)")
        }
        guard !batches.isEmpty, batches.allSatisfy({ $0 >= 1 }) else {
            throw .invalid(option: "--batch", value: batches.map(String.init).joined(separator: ","), expected: "batch sizes of at least 1")
        }
        guard !binds.isEmpty else { throw .invalid(option: "--bind", value: "", expected: "at least one policy") }
        guard steps >= 1 else { throw .invalid(option: "--steps", value: "\(steps)", expected: "at least 1") }
        guard warmupSteps >= 0 else { throw .invalid(option: "--warmup", value: "\(warmupSteps)", expected: "0 or more") }
        guard repeats >= 1 else { throw .invalid(option: "--repeat", value: "\(repeats)", expected: "at least 1") }
    }

    /// Runs the study on `topology`, loaded once for every pool (or why hwloc could not load it:
    /// then every pool runs unpinned, and saying so is the caller's). `data(batch)` supplies the
    /// data for a batch size; `allocationCount` reads a process-wide allocation counter; `onRow`
    /// sees each row as it is measured.
    public func run(topology: Result<Topology, TopologyError>, data: (Int) throws -> DataSplit, allocationCount: (() -> Int)?,
                    onRoofline: (Roofline) -> Void = { _ in }, onRow: (Row) -> Void = { _ in }) throws -> Report {
        var rooflines: [Roofline] = []
        var rows: [Row] = []
        var series: [Series] = []
        var mismatches: [String] = []
        let counts = threads.sorted()
        for batch in batches {
            var configuration = training
            configuration.batchSize = batch
            let split = try data(batch)
            let roofline = Roofline.measure(model: configuration.model, batch: batch,
                                            pool: try startPool(threads: 1, bind: .close, topology: topology).pool)
            rooflines.append(roofline)
            onRoofline(roofline)
            var reference: String?
            for bind in binds {
                var points: [(threads: Int, seconds: Double)] = []
                var base: (threads: Int, seconds: Double)?
                for count in counts {
                    let start = try startPool(threads: count, bind: bind, topology: topology)
                    let trainer = try Trainer(configuration: configuration, data: split, pool: start.pool)
                    let order = EpochOrder(count: split.train.count, batchSize: batch, epoch: 0, seed: configuration.seed)
                    _ = trainer.profile(steps: warmupSteps, batches: order)
                    var times: [Double] = []
                    var profile = StepProfile(workers: count)
                    var allocations = 0
                    for r in 0..<repeats {
                        let measured = trainer.profile(steps: steps, batches: order, startingAt: warmupSteps + r * steps,
                                                       allocationCount: allocationCount)
                        times += measured.stepSeconds
                        profile.add(measured.profile)
                        allocations += measured.allocations ?? 0
                    }
                    let median = ScaleMath.median(times)
                    if base == nil { base = (count, median) }
                    points.append((count, median))
                    let speedup = ScaleMath.speedup(baseSeconds: base!.seconds, baseThreads: base!.threads, seconds: median)
                    let samplesPerSecond = Double(batch) / median
                    let phases = profile.perStep
                    let row = Row(batch: batch, bind: bind, threads: count, medianSeconds: median, minSeconds: times.min()!,
                                  maxSeconds: times.max()!, samplesPerSecond: samplesPerSecond, speedup: speedup,
                                  efficiency: ScaleMath.efficiency(speedup: speedup, threads: count),
                                  karpFlatt: ScaleMath.karpFlatt(speedup: speedup, threads: count),
                                  rooflineFraction: samplesPerSecond / roofline.samplesPerSecond(threads: count),
                                  forwardSeconds: phases.forward, backwardSeconds: phases.backward,
                                  parameterSeconds: phases.parameter, updateSeconds: phases.update,
                                  waitingSeconds: phases.waiting, serialSeconds: phases.serial,
                                  allocationsPerStep: Double(allocations) / Double(times.count),
                                  pinnedWorkers: start.pinnedWorkers, digest: trainer.weightsDigest)
                    if reference == nil { reference = row.digest }
                    if row.digest != reference {
                        mismatches.append("batch \(batch), --bind \(bind.rawValue), \(count) threads")
                    }
                    rows.append(row)
                    onRow(row)
                }
                series.append(Series(batch: batch, bind: bind, fit: ScaleMath.amdahlFit(points)))
            }
        }
        return Report(rooflines: rooflines, rows: rows, series: series, mismatches: mismatches)
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
