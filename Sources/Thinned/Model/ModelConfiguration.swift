/// An MLP: layer widths (input first, classes last), ReLU hidden units, softmax cross-entropy
/// output, and per-sample dropout on the input and on every hidden layer's output (eq. 5.35).
public struct ModelConfiguration: Hashable, Sendable, Codable {
    /// Widths from input to output: `[784, 512, 512, 512, 512, 10]` is the course's reference.
    public var layers: [Int]
    /// How dropout scales kept units, or `none`; it also decides the kind of mask (`maskKind`).
    public var dropout: DropoutKind
    /// Probability of dropping an input unit.
    public var inputDropRate: Float
    /// Probability of dropping a hidden unit.
    public var hiddenDropRate: Float
    /// How the initial weights are drawn.
    public var initialization: WeightInitialization

    /// The course's reference model: 784-512-512-512-512-10, inverted dropout 0.2 / 0.5, Xavier.
    public static let reference = ModelConfiguration(
        layers: [784, 512, 512, 512, 512, 10], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
        initialization: .xavier)

    /// A model with these widths, dropout kind, drop probabilities and initialization (unchecked:
    /// see `validate()`).
    public init(layers: [Int], dropout: DropoutKind, inputDropRate: Float, hiddenDropRate: Float,
                initialization: WeightInitialization) {
        self.layers = layers
        self.dropout = dropout
        self.inputDropRate = inputDropRate
        self.hiddenDropRate = hiddenDropRate
        self.initialization = initialization
    }

    /// Checks every field, naming the command-line option that sets it.
    public func validate() throws(ConfigurationError) {
        let list = layers.map(String.init).joined(separator: ",")
        guard layers.count >= 2 else {
            throw .invalid(option: "--layers", value: list, expected: "at least an input and an output width, as 784,512,10")
        }
        guard layers.allSatisfy({ $0 >= 1 }) else {
            throw .invalid(option: "--layers", value: list, expected: "every width at least 1")
        }
        guard ParameterLayout.parameterCount(widths: layers) != nil else {
            throw .invalid(option: "--layers", value: list, expected: "a parameter count that fits in 64 bits")
        }
        guard layers.last! >= 2 else {
            throw .invalid(option: "--layers", value: list, expected: "at least 2 classes in the output layer")
        }
        for (option, rate) in [("--p-input", inputDropRate), ("--p-hidden", hiddenDropRate)] {
            guard rate >= 0 && rate < 1 else {
                throw .invalid(option: option, value: "\(rate)", expected: "a drop probability in [0, 1)")
            }
        }
    }

    /// The number of weight layers.
    public var depth: Int { layers.count - 1 }
    /// The width of the input layer: the number of features per sample.
    public var inputs: Int { layers[0] }
    /// The width of the output layer: the number of classes.
    public var classes: Int { layers[layers.count - 1] }

    /// What the model's masks drop, or nil when nothing is dropped (`none`).
    public var maskKind: MaskKind? {
        switch dropout {
        case .inverted, .vanilla: .units
        case .dropconnect: .weights
        case .none: nil
        }
    }

    /// The probability that an input unit of weight layer `layer` is kept while training:
    /// 1 − p_input for the first layer, 1 − p_hidden after, 1 when the masks drop no unit.
    public func keepProbability(layer: Int) -> Float {
        precondition((0..<depth).contains(layer), "keepProbability: layer \(layer) outside 0..<\(depth)")
        switch maskKind {
        case .units?: return 1 - (layer == 0 ? inputDropRate : hiddenDropRate)
        case .weights?, nil: return 1
        }
    }

    /// The probability that a weight is kept while training: 1 − p_hidden when the masks drop
    /// weights, 1 otherwise.
    public var connectionKeepProbability: Float {
        switch maskKind {
        case .weights?: 1 - hiddenDropRate
        case .units?, nil: 1
        }
    }

    /// What a kept unit of weight layer `layer`'s input is multiplied by while training.
    public func trainingScale(layer: Int) -> Float {
        dropout == .inverted ? 1 / keepProbability(layer: layer) : 1
    }

    /// What every unit of weight layer `layer`'s input is multiplied by at prediction: the keep
    /// probability for vanilla dropout (equal to scaling that layer's weights, since the layer is
    /// linear in its input), 1 otherwise.
    public func predictionScale(layer: Int) -> Float {
        dropout == .vanilla ? keepProbability(layer: layer) : 1
    }

    /// Floating-point operations of one training step per sample, counting the products only:
    /// 2·P forward, 2·P for the weight gradients and 2·(P − P₀) for the deltas (none is needed
    /// for the input layer's), for P weights of which P₀ in the first layer — 6.35 M for the
    /// reference model.
    public var trainingFlopsPerSample: Double {
        let weights = zip(layers, layers.dropFirst()).map { Double($0 * $1) }
        return 6 * weights.reduce(0, +) - 2 * weights[0]
    }
}
