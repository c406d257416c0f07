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

    /// What a study measures on each pool besides the step: the empty fork–join's cost (every
    /// pool) and the triad bandwidth (once per bind policy and worker count, whatever the batch).
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

        /// The join cost and the bandwidth of `pool`, started for `bind`: the bandwidth measured
        /// now if this policy and worker count have none yet.
        mutating func measure(pool: WorkerPool, bind: BindPolicy) -> (join: JoinCost.Point, bandwidth: MemoryBandwidth?) {
            let join = JoinCost.measure(on: pool)
            if let known = bandwidths.first(where: { $0.bind == bind && $0.bandwidth.workers == pool.count }) {
                return (join, known.bandwidth)
            }
            let key = "\(bind.rawValue) \(pool.count)"
            guard !refused.contains(key) else { return (join, nil) }
            guard let bandwidth = MemoryBandwidth.measure(on: pool, elements: elements, repetitions: bandwidthRepetitions) else {
                refused.insert(key)
                return (join, nil)
            }
            bandwidths.append(BandwidthPoint(bind: bind, bandwidth: bandwidth))
            return (join, bandwidth)
        }
    }

    /// The measurements of one (batch, bind) series that its work/span analysis needs.
    struct SeriesLogs {
        private var joins: [JoinCost.Point] = []
        private var measured: [(workers: Int, seconds: Double, log: TaskLog)] = []

        /// Records a measured worker count: its median step, its task log, its join cost.
        mutating func add(workers: Int, medianSeconds: Double, log: TaskLog, join: JoinCost.Point) {
            joins.append(join)
            measured.append((workers, medianSeconds, log))
        }

        /// Work, span and predictions from the smallest measured count's tasks, for `predict`
        /// and every measured count; nil before any count was measured.
        func analyze(batch: Int, bind: BindPolicy, predict: [Int]) -> WorkSpan? {
            guard let base = measured.min(by: { $0.workers < $1.workers }) else { return nil }
            return WorkSpan.analyze(batch: batch, bind: bind, baseWorkers: base.workers, base: base.log,
                                    joinCost: JoinCost(points: joins), predict: predict, measured: measured)
        }
    }
}
