/// How dropout scales the kept units (course notes §5.4.4).
public enum DropoutKind: String, CaseIterable, Sendable, Codable {
    /// Divide kept units by the keep probability while training; prediction is unchanged.
    case inverted
    /// Train with the bare mask; at prediction multiply by the keep probability ("weight
    /// scaling", the rule that mimics the ensemble of thinned networks).
    case vanilla
    /// No dropout at all.
    case none
    /// DropConnect (Wan et al., ICML 2013): each sample draws its own mask over every layer's
    /// *weights* (keep probability 1 − p_hidden, kept weights divided by it), so each sample runs
    /// its own sub-network; no unit is dropped. Prediction by weight scaling needs nothing.
    case dropconnect
}
