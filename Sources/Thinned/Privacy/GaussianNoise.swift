import CKernels

/// DP-SGD's noise for one step: a standard normal for every coordinate of the gradient, a pure
/// function of the seed, the step and the coordinate's place in the layout (never of the thread
/// that draws it or of the tile it falls in).
///
/// Stream layout (`RandomStream`'s counter, purpose `.noise`): a = the step; for the weights of
/// layer l, b = 2l and c = the output row, normal j of the stream the row's column j; for its
/// biases, b = 2l + 1, c = 0, normal j the bias of output j. Normals come from Philox blocks by
/// the Box–Muller transform (`thinned_philox_normals_add`).
struct GaussianNoise {
    let generator: Philox
    let step: Int

    /// `out[k·stride + j] += scale · n` for the normals n of the weights of layer `l`, rows
    /// `rows.lowerBound + k`, columns `columns.lowerBound + j` (any ranges); `out` at the first.
    func addWeights(layer l: Int, rows: Range<Int>, columns: Range<Int>, scale: Float, into out: UnsafeMutablePointer<Float>,
                    stride: Int) {
        add(RandomStream(generator, .noise, a: step, b: 2 * l, c: rows.lowerBound), rows: rows.count, normals: columns,
            stride: stride, scale: scale, into: out)
    }

    /// `out[j] += scale · n` for the normals n of the biases of layer `l`, outputs `outputs`.
    func addBiases(layer l: Int, outputs: Range<Int>, scale: Float, into out: UnsafeMutablePointer<Float>) {
        add(RandomStream(generator, .noise, a: step, b: 2 * l + 1, c: 0), rows: 1, normals: outputs, stride: 0, scale: scale,
            into: out)
    }

    /// The noise of every coordinate of `range` of `layout`, added with `scale` into `out` (the
    /// whole layout): what a parameter chunk of the literal path adds.
    func add(_ range: Range<Int>, of layout: ParameterLayout, scale: Float, into out: UnsafeMutablePointer<Float>) {
        for (l, layer) in layout.layers.enumerated() {
            let weights = layer.weights.clamped(to: range)
            var j = weights.lowerBound
            while j < weights.upperBound {
                let row = (j - layer.weights.lowerBound) / layer.inputs, rowStart = layer.weights.lowerBound + row * layer.inputs
                let end = min(weights.upperBound, rowStart + layer.inputs)
                addWeights(layer: l, rows: row..<(row + 1), columns: (j - rowStart)..<(end - rowStart), scale: scale, into: out + j,
                           stride: layer.inputs)
                j = end
            }
            let biases = layer.bias.clamped(to: range)
            if !biases.isEmpty {
                addBiases(layer: l, outputs: (biases.lowerBound - layer.bias.lowerBound)..<(biases.upperBound - layer.bias.lowerBound),
                          scale: scale, into: out + biases.lowerBound)
            }
        }
    }

    /// Normals `normals` of `rows` consecutive streams from `stream` (word 3 one apart: the
    /// streams of consecutive rows), times `scale`, added into rows `stride` floats apart.
    private func add(_ stream: RandomStream, rows: Int, normals: Range<Int>, stride: Int, scale: Float,
                     into out: UnsafeMutablePointer<Float>) {
        guard !normals.isEmpty, rows > 0 else { return }
        let counter = stream.counter(block: 0), key = generator.key
        thinned_philox_normals_add(key.0, key.1, normals.lowerBound, counter.1, counter.2, counter.3, Int32(rows),
                                   Int32(normals.count), stride, scale, out)
    }
}
