import RealModule

/// An optimizer and its hyper-parameters.
public struct OptimizerConfiguration: Hashable, Sendable, Codable {
    /// The update rule.
    public var kind: OptimizerKind
    /// ρ.
    public var learningRate: Float
    /// μ, for `momentum`.
    public var momentum: Float = 0.9
    /// β₁, Adam's decay rate for the first moment m.
    public var beta1: Float = 0.9
    /// β₂, Adam's decay rate for the second moment v.
    public var beta2: Float = 0.999
    /// ε, added to √v̂ in Adam's denominator so that it is never zero.
    public var epsilon: Float = 1e-8

    /// The optimizer `kind` with `learningRate`, or the kind's default rate when nil (see
    /// `defaultLearningRate(_:)`), and the default μ, β₁, β₂ and ε.
    public init(kind: OptimizerKind, learningRate: Float? = nil) {
        self.kind = kind
        self.learningRate = learningRate ?? Self.defaultLearningRate(kind)
    }

    /// The learning rate used when none is given: 0.1 for SGD, 0.01 for momentum, 0.001 for Adam
    /// (the course's reference run).
    public static func defaultLearningRate(_ kind: OptimizerKind) -> Float {
        switch kind {
        case .sgd: 0.1
        case .momentum: 0.01
        case .adam: 0.001
        }
    }

    /// How many state buffers of the parameters' size the optimizer keeps.
    public var stateBuffers: Int {
        switch kind {
        case .sgd: 0
        case .momentum: 1
        case .adam: 2
        }
    }

    /// Checks the learning rate (positive, finite) and μ (in [0, 1)), naming the option that sets each.
    public func validate() throws(ConfigurationError) {
        guard learningRate > 0 && learningRate.isFinite else {
            throw .invalid(option: "--lr", value: "\(learningRate)", expected: "a positive learning rate")
        }
        guard momentum >= 0 && momentum < 1 else {
            throw .invalid(option: "--momentum", value: "\(momentum)", expected: "a momentum in [0, 1)")
        }
    }

    /// The constants of update number `step` (1 for the first).
    public func update(step: Int) -> OptimizerUpdate {
        precondition(step >= 1, "OptimizerConfiguration.update: step \(step) must be >= 1")
        // RealModule's integer power is the C library's `pow(x, Double(step))` for any x (its
        // real power refuses x < 0, which an unvalidated β from a checkpoint could be).
        return OptimizerUpdate(
            kind: kind, learningRate: learningRate, momentum: momentum, beta1: beta1, beta2: beta2, epsilon: epsilon,
            stepSize: kind == .adam ? Float(Double(learningRate) / (1 - Double.pow(Double(beta1), step))) : learningRate,
            inverseRootCorrection2: kind == .adam ? Float(1 / (1 - Double.pow(Double(beta2), step)).squareRoot()) : 1)
    }
}
