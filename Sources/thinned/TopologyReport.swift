import Parallel

/// What `thinned topology` reports, in a form that prints as text or encodes as JSON.
struct TopologyReport: Encodable {
    struct Object: Encodable {
        let kind: TopologyObject.Kind
        let logicalIndex: Int
        let osIndex: Int?
        let cpuSet: String
        let bytes: Int?
    }
    struct Plan: Encodable {
        let threads: Int
        let bind: BindPolicy
        let places: PlaceKind
        let oversubscribed: Bool
        let workers: [String?]
    }
    struct Location: Encodable {
        let worker: Int
        let requested: String?
        let binding: String?
        let cpu: Int?
        let verified: Bool
    }

    let hwlocVersion: String
    /// Why hwloc could not describe the machine, when it could not.
    let topologyError: String?
    let isThisSystem: Bool
    let objects: [Object]
    let counts: [String: Int]
    let usableSet: String
    let usableCores: Int
    let usablePUs: Int
    let plan: Plan
    let workers: [Location]
    /// True when every worker the plan pins is verified where the plan put it.
    let verified: Bool

    /// Starts the pool the options describe (loading the topology and planning it) and reads
    /// back where each worker runs.
    static func measure(_ options: PoolOptions) throws -> TopologyReport {
        let start = try options.start()
        let pool = start.pool, topology = start.topology
        var topologyError: String?
        if case let .noTopology(error) = start.fallback { topologyError = error.description }
        let locations = pool.locate()
        let objects = topology?.objects ?? []
        let pinned = locations.filter { $0.requested != nil }
        return TopologyReport(
            hwlocVersion: Topology.hwlocVersion,
            topologyError: topologyError,
            isThisSystem: topology?.isThisSystem ?? false,
            objects: objects.map {
                Object(kind: $0.kind, logicalIndex: $0.logicalIndex, osIndex: $0.osIndex,
                       cpuSet: $0.cpuSet.description, bytes: $0.bytes)
            },
            counts: Dictionary(uniqueKeysWithValues: TopologyObject.Kind.allCases.map { kind in
                (kind.rawValue, objects.filter { $0.kind == kind }.count)
            }),
            usableSet: topology?.usableSet.description ?? "unknown",
            usableCores: topology?.places(.cores).count ?? 0,
            usablePUs: topology?.usableSet.count ?? 0,
            plan: Plan(threads: pool.plan.threads, bind: pool.plan.bind, places: pool.plan.places,
                       oversubscribed: pool.plan.oversubscribed, workers: pool.plan.workers.map { $0?.description }),
            workers: locations.map {
                Location(worker: $0.worker, requested: $0.requested?.description, binding: $0.binding?.description,
                         cpu: $0.cpu, verified: $0.isVerified)
            },
            verified: pinned.allSatisfy(\.isVerified)
        )
    }
}

extension TopologyReport {
    /// The report as a person reads it.
    var text: String {
        var out = ""
        func line(_ text: String = "") { out += text + "\n" }

        line("Machine (hwloc API \(hwlocVersion)\(isThisSystem ? "" : ", not this system"))")
        if let topologyError {
            line("  hwloc could not load the topology: \(topologyError)")
        } else {
            line("  " + [("package", "package"), ("numa", "NUMA node"), ("l3", "L3 cache"), ("core", "core"), ("pu", "PU")]
                .map { key, name in plural(counts[key] ?? 0, name) }.joined(separator: ", "))
            for package in objects(.package) {
                line("  Package L#\(package.logicalIndex): PUs \(package.cpuSet)")
                let inside = { (object: Object) in CPUSet(list: object.cpuSet)?.isSubset(of: CPUSet(list: package.cpuSet)!) ?? false }
                for node in objects(.numaNode) where inside(node) {
                    line("    NUMA L#\(node.logicalIndex): PUs \(node.cpuSet)\(node.bytes.map { ", " + Self.format(bytes: $0) } ?? "")")
                }
                let caches = objects(.l3Cache).filter(inside)
                let groups: [(String, [Object])] = caches.isEmpty
                    ? [("cores", objects(.core).filter(inside))]
                    : caches.map { cache in
                        ("L3 L#\(cache.logicalIndex) (\(cache.bytes.map(Self.format(bytes:)) ?? "?")), cores",
                         objects(.core).filter { CPUSet(list: $0.cpuSet)!.isSubset(of: CPUSet(list: cache.cpuSet)!) })
                    }
                for (title, cores) in groups where !cores.isEmpty {
                    line("    \(title) L#\(cores.first!.logicalIndex)-\(cores.last!.logicalIndex), PUs by core: "
                         + cores.map(\.cpuSet).joined(separator: " | "))
                }
            }
        }
        line("Usable set: PUs \(usableSet) (\(plural(usableCores, "core")), \(plural(usablePUs, "PU")))")
        line()
        line("Plan: \(plural(plan.threads, "worker")), --bind \(plan.bind.rawValue), --places \(plan.places.rawValue)"
             + (plan.oversubscribed ? " (oversubscribed: workers share places)" : ""))
        for (worker, set) in plan.workers.enumerated() {
            line("  worker \(worker) -> \(set.map { "PUs " + $0 } ?? "not pinned")")
        }
        line()
        line("Proof (read back by each running worker):")
        line("  worker  bound to      last ran on")
        for location in workers {
            let status = location.requested == nil ? "not pinned"
                : !isThisSystem ? "cannot check: not this system"
                : location.verified ? "ok" : "NOT as planned"
            line("  " + pad("\(location.worker)", 8) + pad(location.binding ?? "unknown", 14)
                 + pad(location.cpu.map { "CPU \($0)" } ?? "unknown", 13) + status)
        }
        let pinned = workers.filter { $0.requested != nil }.count
        if pinned == 0 {
            line("No worker is pinned (--bind none or no hwloc): the OS places them.")
        } else if !isThisSystem {
            line("The topology is not this machine's (HWLOC_SYNTHETIC or HWLOC_XMLFILE?): nothing was pinned.")
        } else if verified {
            line("All \(plural(pinned, "pinned worker")) run where the plan put them.")
        } else {
            line("Some workers do not run where the plan put them (binding refused?): they run unpinned.")
        }
        return out
    }

    private func objects(_ kind: TopologyObject.Kind) -> [Object] { objects.filter { $0.kind == kind } }

    private func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func format(bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return value == value.rounded() ? "\(Int(value)) \(units[unit])" : Format.fixed(value, 1) + " " + units[unit]
    }
}
