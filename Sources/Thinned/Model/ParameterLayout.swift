/// Where every layer's weights and bias live in the one flat parameter buffer. Gradients and
/// optimizer state use the same layout, and so will checkpoints (it is their table of contents).
///
/// Layer `l` (0-based) has weights `w: [outputs, inputs]`, row-major, then its bias `[outputs]`.
/// Names follow PyTorch's `nn.Sequential(Linear, ReLU, Dropout, …)`: `0.weight`, `0.bias`,
/// `3.weight`, … (three modules per hidden layer).
public struct ParameterLayout: Hashable, Sendable {
    /// One weight layer's place in the buffer.
    public struct Layer: Hashable, Sendable {
        /// The layer's input width (fan-in): the columns of `w`.
        public let inputs: Int
        /// The layer's output width (fan-out): the rows of `w` and the length of `b`.
        public let outputs: Int
        /// The range of `w: [outputs, inputs]`, row-major.
        public let weights: Range<Int>
        /// The range of `b: [outputs]`.
        public let bias: Range<Int>
        /// PyTorch `nn.Sequential` index of this layer's `Linear` module.
        public let moduleIndex: Int
    }

    /// Every weight layer, input first, in buffer order.
    public let layers: [Layer]
    /// The total number of parameters.
    public let count: Int

    /// The number of parameters of an MLP with these widths, Σ (inputs + 1) · outputs, or nil
    /// when a width is negative or the count overflows `Int`: widths from an option or a file are
    /// checked here before a layout is made.
    public static func parameterCount(widths: [Int]) -> Int? {
        var total = 0
        for (inputs, outputs) in zip(widths, widths.dropFirst()) {
            guard inputs >= 0, inputs < Int.max, let layer = MemoryBudget.product([inputs + 1, outputs]) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(layer)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// The layout of an MLP with these widths (input first), packed without gaps; the widths must
    /// have passed `parameterCount(widths:)`.
    public init(widths: [Int]) {
        precondition(widths.count >= 2, "ParameterLayout: needs at least two widths, got \(widths)")
        precondition(Self.parameterCount(widths: widths) != nil,
                     "ParameterLayout: widths \(widths) are negative or overflow the parameter count (check with parameterCount)")
        var offset = 0
        var layers: [Layer] = []
        for (index, (inputs, outputs)) in zip(widths, widths.dropFirst()).enumerated() {
            let weights = offset..<(offset + inputs * outputs)
            let bias = weights.upperBound..<(weights.upperBound + outputs)
            layers.append(Layer(inputs: inputs, outputs: outputs, weights: weights, bias: bias, moduleIndex: 3 * index))
            offset = bias.upperBound
        }
        self.layers = layers
        self.count = offset
    }

    /// Every tensor as (name, range, shape), in buffer order.
    public var tensors: [(name: String, range: Range<Int>, shape: [Int])] {
        layers.flatMap { layer in
            [("\(layer.moduleIndex).weight", layer.weights, [layer.outputs, layer.inputs]),
             ("\(layer.moduleIndex).bias", layer.bias, [layer.outputs])]
        }
    }
}
