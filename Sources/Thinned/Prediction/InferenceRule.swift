/// How a trained network predicts (course notes §5.4.4: weight scaling mimics the ensemble of
/// thinned networks; Monte-Carlo averaging estimates its mean; a tiny net can be enumerated).
public enum InferenceRule: Sendable, Equatable {
    /// No mask; each layer's input multiplied by its keep probability for vanilla dropout
    /// (weight scaling), unchanged for inverted dropout.
    case weightScaling
    /// The mean of the softmax over `samples` masked passes, masks drawn from the seed
    /// (purpose `inference`, pass number, item, layer), so repeatable.
    case monteCarlo(samples: Int)
    /// The true ensemble mean E_z[softmax(f(x, z))], enumerating every mask of the droppable units.
    case exact
}
