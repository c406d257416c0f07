/// The per-sample math of Algorithm 5-8 over a block of rows, shared by the fused and the literal
/// paths: forward through the thinned network (eq. 5.35) and backward to the deltas.
///
/// Row `r` of a workspace holds the sample at batch position `r + positionOffset`; its dropout
/// masks are drawn from that position and the step, so any block of rows, on any worker, draws
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

    /// The data a step reads: the training images and labels, and the batch's dataset indices.
    struct Batch {
        let images: UnsafePointer<Float>
        let labels: UnsafePointer<Int32>
        let indices: UnsafePointer<Int32>
        let count: Int
        let step: Int
        /// Whose masks: training's, or Monte-Carlo prediction's (then `step` is the pass number).
        var purpose: RandomPurpose = .dropoutMask
        /// Whether the output layer leaves ∂loss/∂logits (training) or the probabilities.
        var wantsProbabilities = false
        /// The transforms of the training images, and the epoch that draws them.
        var augmentation: Augmentation = .none
        var epoch = 0
    }

    /// Forward for rows `rows` of `workspace`: mask the images, then for every layer one GEMM and
    /// one fused pass (bias, ReLU, the next layer's mask); at the output, softmax cross-entropy,
    /// leaving each row's loss in `losses` and its delta ∂loss/∂logits in the last `deltas`.
    func forward(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch,
                 parameters theta: UnsafePointer<Float>) {
        maskInputs(workspace, rows: rows, positionOffset: positionOffset, batch: batch)
        for l in 0..<(model.depth - 1) {
            forwardTile(workspace, layer: l, rows: rows, columns: 0..<layout.layers[l].outputs,
                        positionOffset: positionOffset, batch: batch, parameters: theta)
        }
        output(workspace, rows: rows, positionOffset: positionOffset, batch: batch, parameters: theta)
    }

    /// Copies the images of rows `rows` into the first activations and applies their input masks.
    func maskInputs(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch) {
        let inputs = model.layers[0]
        let side = batch.augmentation.isEnabled ? Augmentation.side(features: inputs) : nil
        for r in rows {
            let position = r + positionOffset
            let x = workspace.activations[0] + r * inputs
            let item = Int(batch.indices[position])
            if let side {
                let parameters = batch.augmentation.parameters(seed: seed, epoch: batch.epoch, item: item, side: side)
                Augmentation.apply(parameters, side: side, source: batch.images + item * inputs, destination: x)
            } else {
                x.update(from: batch.images + item * inputs, count: inputs)
            }
            DropoutMask(model, generator: generator, purpose: batch.purpose, step: batch.step, sample: position, layer: 0).apply(to: x, count: inputs)
        }
    }

    /// One tile of hidden layer `l`'s forward pass: `z̃[rows, columns]` of layer `l + 1`'s input, from
    /// one GEMM (`x[rows, :] · w[columns, :]ᵀ`) and the fused bias–ReLU–mask pass over the tile.
    /// `columns` starts at a multiple of 4 (whole Philox blocks).
    func forwardTile(_ workspace: Workspace, layer l: Int, rows: Range<Int>, columns: Range<Int>, positionOffset: Int,
                     batch: Batch, parameters theta: UnsafePointer<Float>) {
        precondition(l < model.depth - 1, "forwardTile: layer \(l) is the output layer")
        let layer = layout.layers[l]
        let y = workspace.activations[l + 1]
        Dense.forward(x: workspace.activations[l] + rows.lowerBound * layer.inputs, w: theta + layer.weights.lowerBound,
                      y: y + rows.lowerBound * layer.outputs, rows: rows.count, inputs: layer.inputs, outputs: layer.outputs,
                      outputRange: columns)
        let bias = theta + layer.bias.lowerBound
        for r in rows {
            DropoutMask(model, generator: generator, purpose: batch.purpose, step: batch.step, sample: r + positionOffset, layer: l + 1)
                .applyBiasReLU(to: y + r * layer.outputs, bias: bias, units: columns)
        }
    }

    /// The output layer for rows `rows`: logits, softmax cross-entropy, each row's loss and delta.
    func output(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch,
                parameters theta: UnsafePointer<Float>) {
        let l = model.depth - 1, layer = layout.layers[l]
        let y = workspace.deltas[l]
        Dense.forward(x: workspace.activations[l] + rows.lowerBound * layer.inputs, w: theta + layer.weights.lowerBound,
                      y: y + rows.lowerBound * layer.outputs, rows: rows.count, inputs: layer.inputs, outputs: layer.outputs)
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

    /// Backward from the deltas of layer `l` (≥ 1) to those of layer `l − 1`, for rows `rows`:
    /// one GEMM with the (old) weights of layer `l`, then through the mask and ReLU.
    func backwardDelta(_ workspace: Workspace, layer l: Int, rows: Range<Int>, parameters theta: UnsafePointer<Float>) {
        backwardDeltaTile(workspace, layer: l, rows: rows, columns: 0..<layout.layers[l].inputs, parameters: theta)
    }

    /// One tile of `backwardDelta`: the deltas of layer `l − 1` for `rows` × `columns` (its units).
    func backwardDeltaTile(_ workspace: Workspace, layer l: Int, rows: Range<Int>, columns: Range<Int>,
                           parameters theta: UnsafePointer<Float>) {
        precondition(l >= 1, "backwardDelta: layer \(l) has no layer below it")
        let layer = layout.layers[l]
        let dx = workspace.deltas[l - 1], x = workspace.activations[l]
        Dense.backwardInput(dy: workspace.deltas[l] + rows.lowerBound * layer.outputs, w: theta + layer.weights.lowerBound,
                            dx: dx + rows.lowerBound * layer.inputs, rows: rows.count, inputs: layer.inputs,
                            outputs: layer.outputs, inputRange: columns)
        let scale = model.trainingScale(layer: l)
        for r in rows {
            let offset = r * layer.inputs + columns.lowerBound
            Dense.maskedReLUBackward(d: dx + offset, xMasked: x + offset, count: columns.count, scale: scale)
        }
    }

    /// The weight and bias gradient of layer `l` over the tile `outputs × inputs`, summed over all
    /// rows of `workspace` and multiplied by `alpha`, written into `gradient` (whole layout).
    /// The tile whose inputs start at 0 also writes the bias gradient of its outputs.
    func gradient(_ workspace: Workspace, layer l: Int, rows: Int, outputs: Range<Int>, inputs: Range<Int>,
                  alpha: Float, into gradient: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[l]
        Dense.weightGradient(dy: workspace.deltas[l], x: workspace.activations[l], dw: gradient + layer.weights.lowerBound,
                             rows: rows, inputs: layer.inputs, outputs: layer.outputs,
                             outputRange: outputs, inputRange: inputs, alpha: alpha)
        if inputs.lowerBound == 0 {
            Dense.biasGradient(dy: workspace.deltas[l], db: gradient + layer.bias.lowerBound, rows: rows,
                               outputs: layer.outputs, outputRange: outputs, alpha: alpha)
        }
    }
}
