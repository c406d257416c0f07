/// How workers are laid on the machine, named as OpenMP users know them (`OMP_PROC_BIND`).
public enum BindPolicy: String, CaseIterable, Sendable, Codable {
    /// No pinning: the OS schedules workers anywhere in the usable set.
    case none
    /// Fill one place after another in topology order (OpenMP `close`, alias `compact`).
    case close
    /// Distribute over packages, NUMA nodes and L3 caches first, as `hwloc_distrib` does
    /// (OpenMP `spread`, alias `scatter`).
    case spread

    /// The policy for a name or one of its aliases (`compact`, `scatter`); nil if unknown.
    public init?(name: String) {
        switch name.lowercased() {
        case "none": self = .none
        case "close", "compact": self = .close
        case "spread", "scatter": self = .spread
        default: return nil
        }
    }
}
