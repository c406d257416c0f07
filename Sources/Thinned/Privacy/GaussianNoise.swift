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

    /// `out[j] += scale · n` for the normals n of the weights of layer `l`, row `row`, columns
    /// `columns` (any range), `out` at the first of them.
    func addWeights(layer l: Int, row: Int, columns: Range<Int>, scale: Float, into out: UnsafeMutablePointer<Float>) {
        add(RandomStream(generator, .noise, a: step, b: 2 * l, c: row), normals: columns, scale: scale, into: out)
    }

    /// `out[j] += scale · n` for the normals n of the biases of layer `l`, outputs `outputs`.
    func addBiases(layer l: Int, outputs: Range<Int>, scale: Float, into out: UnsafeMutablePointer<Float>) {
        add(RandomStream(generator, .noise, a: step, b: 2 * l + 1, c: 0), normals: outputs, scale: scale, into: out)
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
                addWeights(layer: l, row: row, columns: (j - rowStart)..<(end - rowStart), scale: scale, into: out + j)
                j = end
            }
            let biases = layer.bias.clamped(to: range)
            if !biases.isEmpty {
                addBiases(layer: l, outputs: (biases.lowerBound - layer.bias.lowerBound)..<(biases.upperBound - layer.bias.lowerBound),
                          scale: scale, into: out + biases.lowerBound)
            }
        }
    }

    /// Normals `normals` of `stream`, times `scale`, added into `out[0 ..< normals.count]`: whole
    /// blocks by the kernel, a first partial block through a 4-float buffer.
    private func add(_ stream: RandomStream, normals: Range<Int>, scale: Float, into out: UnsafeMutablePointer<Float>) {
        guard !normals.isEmpty else { return }
        let counter = stream.counter(block: 0), key = generator.key
        var start = normals.lowerBound, target = out
        if start % 4 != 0 {
            // 0 + scale·n is scale·n exactly, so adding it after gives the bits of adding in place.
            var head = SIMD4<Float>()
            withUnsafeMutableBytes(of: &head) { bytes in
                let h = bytes.baseAddress!.assumingMemoryBound(to: Float.self)
                thinned_philox_normals_add(key.0, key.1, UInt32(start / 4), counter.1, counter.2, counter.3, scale, 4, h)
                let lanes = min(4 - start % 4, normals.upperBound - start)
                for w in 0..<lanes { target[w] = target[w] + h[start % 4 + w] }
                start += lanes
                target += lanes
            }
        }
        if start < normals.upperBound {
            thinned_philox_normals_add(key.0, key.1, UInt32(start / 4), counter.1, counter.2, counter.3, scale,
                                       Int32(normals.upperBound - start), target)
        }
    }
}
