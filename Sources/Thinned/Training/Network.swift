/// The per-sample math of Algorithm 5-8 over a block of rows: the forward pass through the
/// thinned network (eq. 5.35), shared by the fused and the literal steps, by every prediction
/// rule and by the exact ensemble mean — only its `Masks` differ — and backward to the deltas
/// (`Network+Backward.swift`).
///
/// Row `r` of a workspace holds the sample at batch position `r + positionOffset`; its masks are
/// resolved from that position (`Network+Masks.swift`), so any block of rows, on any worker, gets
/// the same masks for the same sample.
struct Network {
    let model: ModelConfiguration
    let layout: ParameterLayout
    let generator: Philox
    let seed: UInt64

    init(model: ModelConfiguration, seed: UInt64) {
        self.model = model
        self.layout = ParameterLayout(widths: model.layers)
        self.generator = Philox(seed: seed)
        self.seed = seed
    }

    /// The data a forward pass reads: the images and labels, the batch's dataset indices, and
    /// which masks it applies.
    struct Batch {
        let images: UnsafePointer<Float>
        let labels: UnsafePointer<Int32>
        let indices: UnsafePointer<Int32>
        let count: Int
        /// Training's masks for a step, a prediction rule's, or an enumerated mask per row.
        var masks: Masks
        /// Whether the output layer leaves ∂loss/∂logits (training) or the probabilities.
        var wantsProbabilities = false
        /// The transforms of the training images, and the epoch that draws them.
        var augmentation: Augmentation = .none
        var epoch = 0
    }

    /// Forward for rows `rows` of `workspace`: mask the images, then for every layer its product
    /// and one fused pass (bias, ReLU, the next layer's mask); at the output, softmax
    /// cross-entropy, leaving each row's loss in `losses` and ∂loss/∂logits (or the
    /// probabilities, when the batch asks) in `outputs`.
    func forward(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch,
                 parameters theta: UnsafePointer<Float>) {
        maskInputs(workspace, rows: rows, positionOffset: positionOffset, batch: batch)
        for l in 0..<(model.depth - 1) {
            forwardTile(workspace, layer: l, rows: rows, columns: 0..<layout.layers[l].outputs,
                        positionOffset: positionOffset, batch: batch, parameters: theta)
        }
        output(workspace, rows: rows, positionOffset: positionOffset, batch: batch, parameters: theta)
    }

    /// Copies the images of rows `rows` (transformed, when the batch augments) into `inputs[0]`
    /// and applies their input masks.
    func maskInputs(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch) {
        let inputs = model.layers[0]
        let side = batch.augmentation.isEnabled ? Augmentation.side(features: inputs) : nil
        for r in rows {
            let position = r + positionOffset
            let x = workspace.inputs[0] + r * inputs
            let item = Int(batch.indices[position])
            // The image (or its transform, written into x first) masked into x in one pass.
            var source = UnsafePointer(batch.images + item * inputs)
            if let side {
                let parameters = batch.augmentation.parameters(seed: seed, epoch: batch.epoch, item: item, side: side)
                Augmentation.apply(parameters, side: side, source: source, destination: x)
                source = UnsafePointer(x)
            }
            unitMask(batch.masks, layer: 0, position: position).apply(from: source, to: x, count: inputs)
        }
    }

    /// One tile of hidden layer `l`'s forward pass: `z̃[rows, columns]` of layer `l + 1`'s input,
    /// from layer `l`'s product and the fused bias–ReLU–mask pass over the tile. `columns` starts
    /// at a multiple of 4 (whole Philox blocks).
    func forwardTile(_ workspace: Workspace, layer l: Int, rows: Range<Int>, columns: Range<Int>, positionOffset: Int,
                     batch: Batch, parameters theta: UnsafePointer<Float>) {
        precondition(l < model.depth - 1, "forwardTile: layer \(l) is the output layer")
        let layer = layout.layers[l], y = workspace.inputs[l + 1]
        product(workspace, layer: l, rows: rows, columns: columns, positionOffset: positionOffset, batch: batch,
                parameters: theta, into: y)
        let bias = theta + layer.bias.lowerBound
        for r in rows {
            unitMask(batch.masks, layer: l + 1, position: r + positionOffset)
                .applyBiasReLU(to: y + r * layer.outputs, bias: bias, units: columns)
        }
    }

    /// The output layer for rows `rows`: logits, softmax cross-entropy, each row's loss and delta
    /// (or probabilities).
    func output(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch,
                parameters theta: UnsafePointer<Float>) {
        let l = model.depth - 1, layer = layout.layers[l], y = workspace.outputs
        product(workspace, layer: l, rows: rows, columns: 0..<layer.outputs, positionOffset: positionOffset, batch: batch,
                parameters: theta, into: y)
        let bias = theta + layer.bias.lowerBound
        for r in rows {
            let label = Int(batch.labels[Int(batch.indices[r + positionOffset])])
            if batch.wantsProbabilities {
                workspace.losses[r] = SoftmaxCrossEntropy.probabilities(logits: y + r * layer.outputs, bias: bias,
                                                                        classes: layer.outputs, label: label)
            } else {
                workspace.losses[r] = SoftmaxCrossEntropy.lossAndDelta(logits: y + r * layer.outputs, bias: bias,
                                                                       classes: layer.outputs, label: label)
            }
        }
    }

    /// `y[rows, columns] ← z̃ₗ · wₗ[columns, :]ᵀ`, layer `l`'s product before its bias: one GEMM
    /// when the rows share the layer's weights, else row by row, each sample with its own masked
    /// weights (DropConnect; then `columns` must be all of the layer's outputs).
    private func product(_ workspace: Workspace, layer l: Int, rows: Range<Int>, columns: Range<Int>, positionOffset: Int,
                         batch: Batch, parameters theta: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[l], x = workspace.inputs[l], w = theta + layer.weights.lowerBound
        guard masksWeights(batch.masks) else {
            Dense.forward(x: x + rows.lowerBound * layer.inputs, w: w, y: y + rows.lowerBound * layer.outputs, rows: rows.count,
                          inputs: layer.inputs, outputs: layer.outputs, outputRange: columns)
            return
        }
        precondition(columns == 0..<layer.outputs, "Network: per-sample weights are multiplied a whole row at a time, not \(columns)")
        for r in rows {
            let mask = weightMask(batch.masks, layer: l, position: r + positionOffset)!
            DropConnect.forward(x: x + r * layer.inputs, w: w, y: y + r * layer.outputs, inputs: layer.inputs,
                                outputs: layer.outputs, mask: mask, row: workspace.scratch)
        }
    }
}
