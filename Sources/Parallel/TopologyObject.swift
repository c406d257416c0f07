import CHwloc

/// One package, NUMA node, L3 cache, core or PU of a `Topology`.
public struct TopologyObject: Hashable, Sendable {
    /// The kinds of object that placement and `thinned topology` care about.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        /// A processor package, a NUMA node, an L3 cache, a core, or a PU (hardware thread); the raw
        /// value (`numa`, `l3`, …) is the key of the object counts in the `thinned topology` report.
        case package, numaNode = "numa", l3Cache = "l3", core, pu

        var hwlocType: hwloc_obj_type_t {
            switch self {
            case .package: HWLOC_OBJ_PACKAGE
            case .numaNode: HWLOC_OBJ_NUMANODE
            case .l3Cache: HWLOC_OBJ_L3CACHE
            case .core: HWLOC_OBJ_CORE
            case .pu: HWLOC_OBJ_PU
            }
        }
    }

    /// Which of the five kinds of hwloc object this is.
    public let kind: Kind
    /// hwloc's logical index (`L#`), dense and in topology order.
    public let logicalIndex: Int
    /// The operating system's index (`P#`), when there is one.
    public let osIndex: Int?
    /// The PUs the object covers.
    public let cpuSet: CPUSet
    /// The cache size (L3) or local memory (NUMA node), in bytes.
    public let bytes: Int?
}
