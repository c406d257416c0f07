extension Network {
    /// Backward from the deltas of layer `l` (≥ 1) to those of layer `l − 1`, for rows `rows`:
    /// one GEMM with the (old) weights of layer `l`, then through the mask and ReLU (of `masks`,
    /// the masks of the forward pass).
    func backwardDelta(_ workspace: Workspace, layer l: Int, rows: Range<Int>, parameters theta: UnsafePointer<Float>,
                       masks: Masks) {
        backwardDeltaTile(workspace, layer: l, rows: rows, columns: 0..<layout.layers[l].inputs, parameters: theta, masks: masks)
    }

    /// One tile of `backwardDelta`: the deltas of layer `l − 1` for `rows` × `columns` (its units).
    func backwardDeltaTile(_ workspace: Workspace, layer l: Int, rows: Range<Int>, columns: Range<Int>,
                           parameters theta: UnsafePointer<Float>, masks: Masks) {
        precondition(l >= 1, "backwardDelta: layer \(l) has no layer below it")
        let layer = layout.layers[l]
        let dx = workspace.deltas[l - 1], x = workspace.inputs[l]
        Dense.backwardInput(dy: workspace.delta(layer: l) + rows.lowerBound * layer.outputs, w: theta + layer.weights.lowerBound,
                            dx: dx + rows.lowerBound * layer.inputs, rows: rows.count, inputs: layer.inputs,
                            outputs: layer.outputs, inputRange: columns)
        let scale = unitScale(masks, layer: l)
        for r in rows {
            let offset = r * layer.inputs + columns.lowerBound
            Dense.maskedReLUBackward(d: dx + offset, xMasked: x + offset, count: columns.count, scale: scale)
        }
    }

    /// The weight and bias gradient of layer `l` over the tile `outputs × inputs`, summed over all
    /// rows of `workspace` (`TilePlan.gradientRows` at a time) and multiplied by `alpha`, written
    /// into `gradient` (whole layout).
    /// The tile whose inputs start at 0 also writes the bias gradient of its outputs.
    func gradient(_ workspace: Workspace, layer l: Int, rows: Int, outputs: Range<Int>, inputs: Range<Int>,
                  alpha: Float, into gradient: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[l]
        self.gradient(workspace, layer: l, rows: rows, outputs: outputs, inputs: inputs, alpha: alpha,
                 weights: gradient + layer.weights.lowerBound + outputs.lowerBound * layer.inputs + inputs.lowerBound,
                 leading: layer.inputs, bias: gradient + layer.bias.lowerBound + outputs.lowerBound)
    }

    /// The same tile written anywhere: the weight gradient at `weights` (the tile's first
    /// element, rows `leading` floats apart), and, for the tile whose inputs start at 0, the bias
    /// gradient of its outputs at `bias` (the first output's).
    /// `firstRow`: the sum over rows `firstRow ..< firstRow + rows` (a group of `--reduce exact`).
    func gradient(_ workspace: Workspace, layer l: Int, rows: Int, firstRow: Int = 0, outputs: Range<Int>, inputs: Range<Int>,
                  alpha: Float, weights: UnsafeMutablePointer<Float>, leading: Int, bias: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[l], dy = workspace.delta(layer: l) + firstRow * layer.outputs
        Dense.weightGradient(dy: dy, x: workspace.inputs[l] + firstRow * layer.inputs, rows: rows, inputs: layer.inputs, outputs: layer.outputs,
                             outputRange: outputs, inputRange: inputs, alpha: alpha, into: weights, leading: leading,
                             rowsPerProduct: TilePlan.gradientRows)
        if inputs.lowerBound == 0 {
            Dense.biasGradient(dy: dy, rows: rows, outputs: layer.outputs, outputRange: outputs, alpha: alpha, into: bias)
        }
    }

    /// Backward through layer `l` for the sample in row 0, whose weights carry its own DropConnect
    /// mask `mask`: its weight and bias gradient, written in full into `gradient`, and (for
    /// `l ≥ 1`) the deltas of layer `l − 1`, through the ReLU.
    func backward(_ workspace: Workspace, layer l: Int, weightMask mask: DropoutMask, parameters theta: UnsafePointer<Float>,
                  into gradient: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[l]
        DropConnect.backward(x: workspace.inputs[l], w: theta + layer.weights.lowerBound, dy: workspace.delta(layer: l),
                             dx: l > 0 ? workspace.deltas[l - 1] : nil, dw: gradient + layer.weights.lowerBound,
                             db: gradient + layer.bias.lowerBound, inputs: layer.inputs, outputs: layer.outputs,
                             mask: mask, row: workspace.scratch)
        if l > 0 {
            Dense.maskedReLUBackward(d: workspace.deltas[l - 1], xMasked: workspace.inputs[l], count: layer.inputs,
                                     scale: model.trainingScale(layer: l))
        }
    }
}
