extension ModelConfiguration {
    /// The initial parameters for `seed`: weights uniform in ±a (see `WeightInitialization`),
    /// biases zero. Weight `j` of layer `l` is word `j` of the stream (initialWeights, l), so the
    /// result does not depend on how it is computed.
    public func initialParameters(seed: UInt64) -> [Float] {
        let layout = ParameterLayout(widths: layers)
        var parameters = [Float](repeating: 0, count: layout.count)
        let generator = Philox(seed: seed)
        for (index, layer) in layout.layers.enumerated() {
            let fanIn = Float(layer.inputs), fanOut = Float(layer.outputs)
            let bound = switch initialization {
            case .xavier: (6 / (fanIn + fanOut)).squareRoot()
            case .he: (6 / fanIn).squareRoot()
            }
            var stream = RandomStream(generator, .initialWeights, c: index)
            for j in layer.weights {
                parameters[j] = (2 * stream.nextUniform() - 1) * bound
            }
        }
        return parameters
    }
}
