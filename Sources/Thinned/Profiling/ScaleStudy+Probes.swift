#if canImport(Glibc)
import Glibc
#endif
import Parallel

extension ScaleStudy {
    /// The triad bandwidth measured on the pool of one bind policy and worker count.
    public struct BandwidthPoint: Sendable, Codable {
        /// The pool's bind policy.
        public let bind: BindPolicy
        /// The measurement.
        public let bandwidth: MemoryBandwidth
    }

    /// Floats per array of the triad: `streamArrayElements`, or 4 × the last-level caches of
    /// `topology`, within a quarter of the physical memory (`MemoryBandwidth.arrayElements`).
    public func bandwidthArrayElements(topology: Topology?) -> Int {
        let caches = topology?.objects(.l3Cache).compactMap(\.bytes).reduce(0, +)
        return streamArrayElements ?? MemoryBandwidth.arrayElements(lastLevelCacheBytes: caches == 0 ? nil : caches,
                                                                    memoryBytes: MemoryBandwidth.physicalMemoryBytes)
    }

    /// What a study measures on each pool besides the step: the fork–join cost (`JoinCost`) and the
    /// workers' contention on the step's products (every pool), the host's stalls (each series'
    /// base pool, whose tasks give the span), and the triad bandwidth (once per bind policy and
    /// worker count, whatever the batch).
    struct Probes {
        let elements: Int
        let bandwidthRepetitions: Int
        private(set) var bandwidths: [BandwidthPoint] = []
        /// Bind policies and worker counts whose arrays could not be allocated.
        private(set) var refused: Set<String> = []

        init(study: ScaleStudy, topology: Result<Topology, TopologyError>) {
            elements = study.bandwidthArrayElements(topology: try? topology.get())
            bandwidthRepetitions = study.bandwidthRepetitions
        }

        /// What `measure` measured on one pool.
        struct Measured {
            let join: [JoinCost.Point]
            let contention: CoreContention
            /// nil where not asked for, or on a crowded pool (`WorkerPool.isCrowded`), whose gaps
            /// would be our own workers taking turns.
            let stalls: HostStalls?
            let bandwidth: MemoryBandwidth?
        }

        /// The join cost, the contention on the step's products (`model` at the batch of
        /// `roofline`, whose single-thread rate it gives), the host's stalls where `stalls` (and
        /// the pool is not crowded) and the bandwidth of `pool`, started for `bind`: the
        /// bandwidth measured now if this policy and worker count have none yet. The calling
        /// thread, worker 0, is bound to its place meanwhile, as during the steps.
        mutating func measure(pool: WorkerPool, bind: BindPolicy, model: ModelConfiguration, roofline: Roofline,
                              stalls: Bool) -> Measured {
            pool.pinningCaller { measurePinned(pool: pool, bind: bind, model: model, roofline: roofline, stalls: stalls) }
        }

        private mutating func measurePinned(pool: WorkerPool, bind: BindPolicy, model: ModelConfiguration, roofline: Roofline,
                                            stalls measuresStalls: Bool) -> Measured {
            let join = JoinCost.measure(on: pool)
            // About 40 ms of products per worker and round.
            let pass = roofline.flopsPerSample * Double(roofline.batch) / (roofline.gigaflopsPerCore * 1e9)
            let contention = CoreContention.measure(model: model, batch: roofline.batch, pool: pool,
                                                    passes: max(1, Int((0.04 / pass).rounded())))
            let stalls = measuresStalls && !pool.isCrowded ? HostStalls.measure(on: pool) : nil
            return Measured(join: join, contention: contention, stalls: stalls, bandwidth: bandwidth(pool: pool, bind: bind))
        }

        /// The bandwidth of `bind` and `pool`'s worker count: as measured before, else now.
        private mutating func bandwidth(pool: WorkerPool, bind: BindPolicy) -> MemoryBandwidth? {
            if let known = bandwidths.first(where: { $0.bind == bind && $0.bandwidth.workers == pool.count }) {
                return known.bandwidth
            }
            let key = "\(bind.rawValue) \(pool.count)"
            guard !refused.contains(key) else { return nil }
            guard let bandwidth = MemoryBandwidth.measure(on: pool, elements: elements, repetitions: bandwidthRepetitions) else {
                refused.insert(key)
                return nil
            }
            bandwidths.append(BandwidthPoint(bind: bind, bandwidth: bandwidth))
            return bandwidth
        }
    }

    /// The involuntary context switches of `pool`'s workers so far, summed (`getrusage` with
    /// `RUSAGE_THREAD` on each worker): how often the scheduler took a core from a worker to run
    /// something else. nil where the system does not count them per thread.
    static func preemptions(of pool: WorkerPool) -> Int? {
        #if os(Linux)
        // RUSAGE_THREAD is 1 on Linux; Glibc's module leaves the _GNU_SOURCE name out.
        let thread = __rusage_who_t(1)
        let counts: [Int?] = pool.map { _ in
            var usage = rusage()
            return getrusage(thread, &usage) == 0 ? Int(usage.ru_nivcsw) : nil
        }
        return counts.contains(nil) ? nil : counts.reduce(0) { $0 + $1! }
        #else
        return nil
        #endif
    }

    /// The measurements of one (batch, bind) series that its work/span analysis needs.
    struct SeriesLogs {
        private var joins: [JoinCost.Point] = []
        private var contention: [CoreContention] = []
        private var preemptions: [Int: Double] = [:]
        private var stalls: [Int: HostStalls] = [:]
        private var measured: [(workers: Int, seconds: Double, log: TaskLog)] = []

        /// Records a measured worker count: its median step, its task log, and its probes.
        mutating func add(workers: Int, medianSeconds: Double, log: TaskLog, probe: Probes.Measured, preemptionsPerStep: Double?) {
            joins += probe.join
            preemptions[workers] = preemptionsPerStep
            if let measured = probe.stalls { stalls[workers] = measured }
            if probe.contention.workers > 1 { contention.append(probe.contention) }
            measured.append((workers, medianSeconds, log))
        }

        /// Work, span and predictions from the smallest measured count's tasks, for `predict`
        /// and every measured count; nil before any count was measured.
        func analyze(batch: Int, bind: BindPolicy, predict: [Int]) -> WorkSpan? {
            guard let base = measured.min(by: { $0.workers < $1.workers }) else { return nil }
            return WorkSpan.analyze(batch: batch, bind: bind, baseWorkers: base.workers, base: base.log,
                                    joinCost: JoinCost(points: joins), contention: contention, predict: predict,
                                    measured: measured, preemptionsPerStep: preemptions, hostStalls: stalls[base.workers])
        }
    }
}
