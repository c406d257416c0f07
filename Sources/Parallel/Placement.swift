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

/// What one worker is bound to: a whole core (all its PUs), or a single PU (hardware thread).
public enum PlaceKind: String, CaseIterable, Sendable, Codable {
    case cores, threads
}

/// Why a placement cannot be made.
public enum PlacementError: Error, CustomStringConvertible, Equatable {
    case zeroThreads
    case tooManyThreads(requested: Int, available: Int, places: PlaceKind)
    case emptyUsableSet

    public var description: String {
        switch self {
        case .zeroThreads:
            return "--threads must be at least 1"
        case let .tooManyThreads(requested, available, places):
            return "--threads \(requested) is more than the \(available) \(places == .cores ? "cores" : "hardware threads") "
                + "this process may use; lower it, or pass --oversubscribe to share places between workers"
        case .emptyUsableSet:
            return "this process may run on no processing unit at all (empty usable set)"
        }
    }
}

/// The placement of every worker of a pool: which PUs each is bound to, before any thread exists.
///
/// A plan depends on the machine and the options only; the work a training step does never
/// depends on it (see the determinism contract in DESIGN.md).
public struct PlacementPlan: Hashable, Sendable {
    public let bind: BindPolicy
    public let places: PlaceKind
    /// For each worker, the PUs it is bound to; nil means not pinned.
    public let workers: [CPUSet?]
    /// True when more workers than places were asked for (`--oversubscribe`).
    public let oversubscribed: Bool

    public var threads: Int { workers.count }

    /// `threads` unpinned workers: `--bind none`, or the fallback when hwloc is unavailable.
    public static func unpinned(threads: Int, places: PlaceKind = .cores, oversubscribed: Bool = false) -> PlacementPlan {
        PlacementPlan(bind: .none, places: places, workers: Array(repeating: nil, count: threads), oversubscribed: oversubscribed)
    }
}
