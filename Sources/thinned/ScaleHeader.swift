#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parallel
import Thinned

/// The machine and the conditions a scaling study ran under: topology, usable set, placements,
/// OpenBLAS kernel, and the load average before and after.
struct ScaleHeader: Encodable {
    let machine: String
    let usableSet: String
    let placements: [String: [String]]
    let blasKernel: String
    let blasConfiguration: String
    let configuration: String
    let loadBefore: [Double]
    var loadAfter: [Double] = []
    let cores: Int

    /// A load average above this before the run means other work shares the cores.
    static let busyLoad = 0.5

    static func measure(topology: Topology?, study: ScaleStudy) -> ScaleHeader {
        let names: [(TopologyObject.Kind, String)] = [(.package, "packages"), (.numaNode, "NUMA nodes"), (.l3Cache, "L3 caches"),
                                                      (.core, "cores"), (.pu, "PUs")]
        let machine = topology == nil ? "hwloc could not load the topology; workers run unpinned"
            : names.map { kind, name in "\(topology!.objects(kind).count) \(name)" }.joined(separator: ", ")
        var placements: [String: [String]] = [:]
        if let topology, let top = study.threads.max() {
            for bind in study.binds {
                let plan = try? topology.plan(threads: top, bind: bind, places: study.places, oversubscribe: true)
                placements[bind.rawValue] = plan?.workers.map { $0?.description ?? "unpinned" }
            }
        }
        let model = study.training.model, optimizer = study.training.optimizer
        return ScaleHeader(
            machine: machine, usableSet: topology?.usableSet.description ?? "unknown", placements: placements,
            blasKernel: BLAS.coreName, blasConfiguration: BLAS.configuration,
            configuration: "\(model.layers.map(String.init).joined(separator: "-")), \(model.dropout.rawValue) dropout "
                + "\(model.inputDropRate)/\(model.hiddenDropRate), \(optimizer.kind.rawValue) lr \(optimizer.learningRate), "
                + "\(study.training.gradientMode.rawValue) gradients, shard \(study.training.shardSize), seed \(study.training.seed), "
                + (study.training.privacy.map { "clip \($0.clipNorm) noise σ \($0.noiseMultiplier)" } ?? "no clipping") + "; "
                + "\(study.warmupSteps) warm-up + \(study.repeats) × \(study.steps) timed steps per configuration",
            loadBefore: Self.loadAverage(), cores: topology?.places(.cores).count ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    mutating func finish() { loadAfter = Self.loadAverage() }

    /// Why the figures may not be trusted, if they may not.
    var warning: String? {
        guard let before = loadBefore.first, before > Self.busyLoad else { return nil }
        return "the load average was \(Format.fixed(before, 2)) before the run: other work shares these cores, so the figures are unreliable"
    }

    var text: String {
        var lines = [
            "machine: \(machine); usable set: PUs \(usableSet)",
            "OpenBLAS: \(blasKernel) kernel (\(blasConfiguration)), one thread per worker",
            "step: \(configuration)",
        ]
        for (bind, workers) in placements.sorted(by: { $0.key < $1.key }) {
            lines.append("--bind \(bind): " + workers.enumerated().map { "w\($0.offset)→\($0.element)" }.joined(separator: " "))
        }
        lines.append("load average before: " + loadBefore.map { Format.fixed($0, 2) }.joined(separator: " "))
        if let warning { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }

    /// The 1-, 5- and 15-minute load averages from /proc/loadavg (empty where there is none).
    static func loadAverage() -> [Double] {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
