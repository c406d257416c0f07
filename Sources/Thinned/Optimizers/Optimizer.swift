import RealModule

/// The update rule applied to the averaged gradient ∇_ave once per step.
public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    /// Θ ← Θ − ρ·∇.
    case sgd
    /// v ← μ·v + ∇; Θ ← Θ − ρ·v (PyTorch's `SGD(momentum=μ)`, no dampening).
    case momentum
    /// Adam with bias correction (Kingma & Ba, ICLR 2015), as PyTorch's `Adam` computes it.
    case adam
}

/// An optimizer and its hyper-parameters.
public struct OptimizerConfiguration: Hashable, Sendable, Codable {
    public var kind: OptimizerKind
    /// ρ.
    public var learningRate: Float
    /// μ, for `momentum`.
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

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

/// One step's update, applied elementwise to any range of the parameters — a whole buffer, or
/// a tile of a weight matrix while its gradient is still in cache.
public struct OptimizerUpdate: Sendable {
    let kind: OptimizerKind
    let learningRate: Float, momentum: Float, beta1: Float, beta2: Float, epsilon: Float
    /// ρ / (1 − β₁ᵗ) for Adam.
    let stepSize: Float
    /// 1 / √(1 − β₂ᵗ) for Adam.
    let inverseRootCorrection2: Float

    /// Updates `theta[j]` from `gradient[j]` and the state for every `j` in `range`.
    /// `first` is the momentum buffer or Adam's m, `second` Adam's v.
    ///
    /// Eight lanes at a time, then one at a time: the same IEEE operations in the same order for
    /// every element, so the bits do not depend on where a range starts.
    /// - Complexity: O(range.count); memory-bound (Adam streams four buffers).
    public func apply(_ range: Range<Int>, theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                      first: UnsafeMutablePointer<Float>?, second: UnsafeMutablePointer<Float>?) {
        switch kind {
        case .sgd:
            let rate = learningRate
            var j = range.lowerBound
            while j + Lanes.width <= range.upperBound {
                Lanes.store(Lanes.load(theta + j) - rate * Lanes.load(gradient + j), theta + j)
                j += Lanes.width
            }
            for j in j..<range.upperBound { theta[j] -= rate * gradient[j] }
        case .momentum:
            let v = first!, mu = momentum, rate = learningRate
            var j = range.lowerBound
            while j + Lanes.width <= range.upperBound {
                let vj = mu * Lanes.load(v + j) + Lanes.load(gradient + j)
                Lanes.store(vj, v + j)
                Lanes.store(Lanes.load(theta + j) - rate * vj, theta + j)
                j += Lanes.width
            }
            for j in j..<range.upperBound {
                v[j] = mu * v[j] + gradient[j]
                theta[j] -= rate * v[j]
            }
        case .adam:
            let m = first!, v = second!
            let b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2
            let size = stepSize, root = inverseRootCorrection2, eps = epsilon
            var j = range.lowerBound
            while j + Lanes.width <= range.upperBound {
                let g = Lanes.load(gradient + j)
                let mj = b1 * Lanes.load(m + j) + c1 * g
                let vj = b2 * Lanes.load(v + j) + c2 * g * g
                Lanes.store(mj, m + j)
                Lanes.store(vj, v + j)
                Lanes.store(Lanes.load(theta + j) - size * mj / (vj.squareRoot() * root + eps), theta + j)
                j += Lanes.width
            }
            for j in j..<range.upperBound {
                let g = gradient[j]
                m[j] = b1 * m[j] + c1 * g
                v[j] = b2 * v[j] + c2 * g * g
                theta[j] -= size * m[j] / (v[j].squareRoot() * root + eps)
            }
        }
    }
}
