import CHwloc

/// The machine as hwloc sees it — packages, NUMA nodes, L3 caches, cores, processing units —
/// and the *usable set*: the PUs this process may run on.
///
/// The usable set is the allowed cpuset (cgroups, cpusets) intersected with the binding the
/// process started with (`taskset`, `mpirun`, Slurm). Placement never widens beyond it.
///
/// Thread safety: the topology is loaded once and never modified afterwards; hwloc documents that
/// calls which do not modify a loaded topology (queries and binding) may run concurrently from
/// any thread, which is what `@unchecked Sendable` relies on.
public final class Topology: @unchecked Sendable {
    let handle: hwloc_topology_t

    /// True when the topology describes the machine we run on (false for synthetic ones), so
    /// threads can be bound through it.
    public let isThisSystem: Bool

    /// The PUs this process may use: allowed set ∩ the process's binding at load time.
    public let usableSet: CPUSet

    /// The PUs in the whole topology, usable or not.
    public let completeSet: CPUSet

    /// Every package, NUMA node, L3 cache, core and PU, in hwloc's logical order.
    public let objects: [TopologyObject]

    /// Loads this machine's topology. The corresponding hwloc calls are
    /// `hwloc_topology_init` and `hwloc_topology_load`.
    ///
    /// hwloc itself honours `HWLOC_SYNTHETIC` and `HWLOC_XMLFILE` in the environment, so a test can
    /// hand a process an imaginary machine.
    public convenience init() throws(TopologyError) {
        try self.init(synthetic: nil)
    }

    /// Loads a synthetic topology from an hwloc description such as `"pack:2 core:4 pu:2"`
    /// (`nil`: this machine). The corresponding hwloc call is `hwloc_topology_set_synthetic`.
    public init(synthetic description: String?) throws(TopologyError) {
        var topology: hwloc_topology_t?
        try TopologyError.check(hwloc_topology_init(&topology), "hwloc_topology_init")
        guard let topology else { throw .hwloc(call: "hwloc_topology_init", errno: 0) }
        do throws(TopologyError) {
            if let description, hwloc_topology_set_synthetic(topology, description) < 0 {
                throw .badSyntheticDescription(description)
            }
            try TopologyError.check(hwloc_topology_load(topology), "hwloc_topology_load")
        } catch {
            hwloc_topology_destroy(topology)
            throw error
        }
        self.handle = topology
        self.isThisSystem = hwloc_topology_is_thissystem(topology) != 0
        self.completeSet = CPUSet(hwloc_topology_get_topology_cpuset(topology))
        let allowed = CPUSet(hwloc_topology_get_allowed_cpuset(topology))
        self.usableSet = Self.processBinding(topology, isThisSystem: isThisSystem)
            .map { allowed.intersection($0) } ?? allowed
        self.objects = Self.snapshot(topology)
    }

    deinit { hwloc_topology_destroy(handle) }

    /// Loads this machine's topology, keeping the error instead of throwing it: what a caller
    /// that starts several pools hands to each (see `WorkerPool.start`).
    public static func load() -> Result<Topology, TopologyError> {
        Result(catching: { () throws(TopologyError) in try Topology() })
    }

    /// The hwloc library's version at run time, as `2.9.0`.
    public static var hwlocVersion: String {
        let version = hwloc_get_api_version()
        return "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)"
    }

    /// The objects of one kind, in logical order.
    public func objects(_ kind: TopologyObject.Kind) -> [TopologyObject] {
        objects.filter { $0.kind == kind }
    }

    /// The binding of the calling thread when the topology was loaded, or nil when it cannot be
    /// read (then the allowed set stands alone). A pool binds the calling thread only inside
    /// `WorkerPool.pinningCaller`, so loaded outside such a scope (as the command line and the
    /// scaling study do, once, before any pool) the binding is the one the process was started
    /// with; loaded inside one, it would be worker 0's place. The corresponding hwloc call is
    /// `hwloc_get_cpubind`.
    private static func processBinding(_ topology: hwloc_topology_t, isThisSystem: Bool) -> CPUSet? {
        guard isThisSystem, let bitmap = hwloc_bitmap_alloc() else { return nil }
        defer { hwloc_bitmap_free(bitmap) }
        guard hwloc_get_cpubind(topology, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else { return nil }
        let binding = CPUSet(bitmap)
        return binding.isEmpty ? nil : binding
    }

    private static func snapshot(_ topology: hwloc_topology_t) -> [TopologyObject] {
        var result: [TopologyObject] = []
        for kind in TopologyObject.Kind.allCases {
            let type = kind.hwlocType
            let count = hwloc_get_nbobjs_by_type(topology, type)
            guard count > 0 else { continue }
            for index in 0..<UInt32(count) {
                guard let object = hwloc_get_obj_by_type(topology, type, index) else { continue }
                let cpuSet = object.pointee.cpuset.map { CPUSet($0) } ?? .empty
                var bytes: UInt64? = nil
                if kind == .l3Cache, let attributes = object.pointee.attr {
                    bytes = attributes.pointee.cache.size
                } else if kind == .numaNode, let attributes = object.pointee.attr {
                    bytes = attributes.pointee.numanode.local_memory
                }
                result.append(TopologyObject(
                    kind: kind, logicalIndex: Int(object.pointee.logical_index),
                    osIndex: object.pointee.os_index == UInt32.max ? nil : Int(object.pointee.os_index),
                    cpuSet: cpuSet, bytes: bytes.map { Int($0) }))
            }
        }
        return result
    }
}
