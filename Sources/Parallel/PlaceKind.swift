/// What one worker is bound to: a whole core (all its PUs), or a single PU (hardware thread).
public enum PlaceKind: String, CaseIterable, Sendable, Codable {
    /// `cores`: a whole core, all its usable PUs; `threads`: a single PU (one hardware thread).
    case cores, threads
}
