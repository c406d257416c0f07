/// What one worker is bound to: a whole core (all its PUs), or a single PU (hardware thread).
public enum PlaceKind: String, CaseIterable, Sendable, Codable {
    case cores, threads
}
