/// The placement of every worker of a pool: which PUs each is bound to, before any thread exists.
///
/// A plan depends on the machine and the options only; the work a training step does never
/// depends on it (see the determinism contract in DESIGN.md).
public struct PlacementPlan: Hashable, Sendable {
    /// The policy the workers were laid out with (`none` for an unpinned plan).
    public let bind: BindPolicy
    /// Whether each place is a whole core or a single PU.
    public let places: PlaceKind
    /// For each worker, the PUs it is bound to; nil means not pinned.
    public let workers: [CPUSet?]
    /// True when more workers than places were asked for (`--oversubscribe`).
    public let oversubscribed: Bool

    /// The number of workers the plan places, pinned or not.
    public var threads: Int { workers.count }

    /// `threads` unpinned workers: `--bind none`, or the fallback when hwloc is unavailable.
    public static func unpinned(threads: Int, places: PlaceKind = .cores, oversubscribed: Bool = false) -> PlacementPlan {
        PlacementPlan(bind: .none, places: places, workers: Array(repeating: nil, count: threads), oversubscribed: oversubscribed)
    }
}
