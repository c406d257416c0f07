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
