import Parallel

/// One measured configuration's phases against the two roofs of the roofline model (Williams,
/// Waterman & Patterson, "Roofline: an insightful visual performance model for multicore
/// architectures", CACM 52(4), 2009).
///
/// For P workers: the compute roof is P × the single-thread `sgemm` rate on the step's shapes
/// (`Roofline`), the memory roof the triad bandwidth measured on the same pool
/// (`MemoryBandwidth`) × the phase's arithmetic intensity I (`PhaseTraffic`). The attainable rate
/// is min(compute roof, bandwidth × I); the smaller one is the phase's *binding* roof. A phase's
/// achieved rate is its flops per step over its time per step — its busy worker-seconds / P, so
/// that waiting at joins is left out — and its fraction is achieved / attainable. For a phase
/// bound by memory this equals achieved bytes/s over the bandwidth, and `bandwidthRatio` says the
/// same as a time: the phase's time over bytes / bandwidth.
public struct PhaseRoofs: Sendable, Codable {
    /// The batch size.
    public let batch: Int
    /// The bind policy.
    public let bind: BindPolicy
    /// P, the number of workers.
    public let threads: Int
    /// The compute roof, P × single-thread `sgemm`, in GFLOP/s.
    public let computeGigaflopsPerSecond: Double
    /// The triad bandwidth on this pool, in GB/s; nil where it could not be measured.
    public let bandwidthGigabytesPerSecond: Double?
    /// Forward, backward, parameter, update: the phases the model gives any traffic.
    public let phases: [Phase]

    /// The two roofs.
    public enum Roof: String, Sendable, Codable {
        /// P × single-thread `sgemm` on the step's shapes.
        case compute
        /// The triad bandwidth × the phase's intensity.
        case memory
    }

    /// One phase of the step against the roofs.
    public struct Phase: Sendable, Codable {
        /// Which phase.
        public let phase: PhaseTraffic.Phase
        /// Flops per step (the model's).
        public let flops: Double
        /// Bytes per step (the model's).
        public let bytes: Double
        /// Flops per byte.
        public let intensity: Double
        /// The phase's time per step: busy worker-seconds per step / P.
        public let seconds: Double
        /// min(compute roof, bandwidth × intensity), in GFLOP/s.
        public let attainableGigaflopsPerSecond: Double
        /// The roof that gives the attainable rate.
        public let binding: Roof
        /// Flops / seconds, in GFLOP/s; nil when the phase took no measurable time.
        public let achievedGigaflopsPerSecond: Double?
        /// Bytes / seconds, in GB/s; nil when the phase took no measurable time.
        public let achievedGigabytesPerSecond: Double?
        /// Achieved / attainable; nil when the phase took no measurable time.
        public let fraction: Double?
        /// Bytes / bandwidth: the phase's time if it ran at the memory roof, in seconds.
        public let bandwidthSeconds: Double?
        /// `seconds` / `bandwidthSeconds` (1 at the memory roof).
        public let bandwidthRatio: Double?
    }

    /// The phases of a step that ran on `threads` workers, per step and worker `seconds`, against
    /// a compute roof of `gigaflopsPerCore` per worker and a measured `bandwidth` (nil: the memory
    /// roof is unknown and the compute roof binds).
    public static func evaluate(batch: Int, bind: BindPolicy, threads: Int, seconds: [PhaseTraffic.Phase: Double],
                                traffic: [PhaseTraffic], gigaflopsPerCore: Double, bandwidth: MemoryBandwidth?) -> PhaseRoofs {
        let compute = gigaflopsPerCore * Double(threads)
        let gigabytes = bandwidth?.gigabytesPerSecond
        let phases = traffic.filter { $0.bytes > 0 }.map { phase -> Phase in
            let time = seconds[phase.phase] ?? 0
            let memory = gigabytes.map { $0 * phase.intensity }
            let attainable = min(compute, memory ?? .infinity)
            let measured = time > 0
            let achieved = measured ? phase.flops / time / 1e9 : nil
            let bandwidthSeconds = gigabytes.map { phase.bytes / ($0 * 1e9) }
            return Phase(phase: phase.phase, flops: phase.flops, bytes: phase.bytes, intensity: phase.intensity, seconds: time,
                         attainableGigaflopsPerSecond: attainable, binding: (memory ?? .infinity) < compute ? .memory : .compute,
                         achievedGigaflopsPerSecond: achieved, achievedGigabytesPerSecond: measured ? phase.bytes / time / 1e9 : nil,
                         fraction: achieved.map { $0 / attainable },
                         bandwidthSeconds: bandwidthSeconds, bandwidthRatio: measured ? bandwidthSeconds.map { time / $0 } : nil)
        }
        return PhaseRoofs(batch: batch, bind: bind, threads: threads, computeGigaflopsPerSecond: compute,
                          bandwidthGigabytesPerSecond: gigabytes, phases: phases)
    }
}
