/// Why a placement cannot be made.
public enum PlacementError: Error, CustomStringConvertible, Equatable {
    /// Fewer than one worker was asked for (`--threads 0`).
    case zeroThreads
    /// More workers than places were asked for without `--oversubscribe`: `available` places of
    /// kind `places` (PUs of the usable set for `--bind none`).
    case tooManyThreads(requested: Int, available: Int, places: PlaceKind)
    /// The usable set (the allowed PUs this process is bound to) holds no PU at all.
    case emptyUsableSet

    /// The message `thinned` prints, naming the option to change.
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
