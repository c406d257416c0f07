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

    init(model: ModelConfiguration, seed: UInt64) {
        self.model = model
        self.layout = ParameterLayout(widths: model.layers)
        self.generator = Philox(seed: seed)
    }

    /// The data a step reads: the training images and labels, and the batch's dataset indices.
    struct Batch {
        let images: UnsafePointer<Float>
        let labels: UnsafePointer<Int32>
        let indices: UnsafePointer<Int32>
        let count: Int
        let step: Int
    }

    /// Forward for rows `rows` of `workspace`: mask the images, then for every layer one GEMM and
    /// one fused pass (bias, ReLU, the next layer's mask); at the output, softmax cross-entropy,
    /// leaving each row's loss in `losses` and its delta ∂loss/∂logits in the last `deltas`.
    func forward(_ workspace: Workspace, rows: Range<Int>, positionOffset: Int, batch: Batch,
                 parameters theta: UnsafePointer<Float>) {
        let widths = model.layers
        let inputs = widths[0]
        for r in rows {
            let position = r + positionOffset
            let source = batch.images + Int(batch.indices[position]) * inputs
            let x = workspace.activations[0] + r * inputs
            x.update(from: source, count: inputs)
            DropoutMask(model, generator: generator, step: batch.step, sample: position, layer: 0).apply(to: x, count: inputs)
        }
        let last = model.depth - 1
        for (l, layer) in layout.layers.enumerated() {
            let x = workspace.activations[l] + rows.lowerBound * layer.inputs
            let y = l < last ? workspace.activations[l + 1] : workspace.deltas[l]
            let yRows = y + rows.lowerBound * layer.outputs
            Dense.forward(x: x, w: theta + layer.weights.lowerBound, y: yRows,
                          rows: rows.count, inputs: layer.inputs, outputs: layer.outputs)
            let bias = theta + layer.bias.lowerBound
            for r in rows {
                let position = r + positionOffset
                if l < last {
                    DropoutMask(model, generator: generator, step: batch.step, sample: position, layer: l + 1)
                        .applyBiasReLU(to: y + r * layer.outputs, bias: bias, count: layer.outputs)
                } else {
                    workspace.losses[r] = SoftmaxCrossEntropy.lossAndDelta(
                        logits: y + r * layer.outputs, bias: bias, classes: layer.outputs,
                        label: Int(batch.labels[Int(batch.indices[position])]))
                }
            }
        }
    }

    /// Backward from the deltas of layer `l` (≥ 1) to those of layer `l − 1`, for rows `rows`:
    /// one GEMM with the (old) weights of layer `l`, then through the mask and ReLU.
    func backwardDelta(_ workspace: Workspace, layer l: Int, rows: Range<Int>, parameters theta: UnsafePointer<Float>) {
        precondition(l >= 1, "backwardDelta: layer \(l) has no layer below it")
        let layer = layout.layers[l]
        let dx = workspace.deltas[l - 1] + rows.lowerBound * layer.inputs
        Dense.backwardInput(dy: workspace.deltas[l] + rows.lowerBound * layer.outputs, w: theta + layer.weights.lowerBound,
                            dx: dx, rows: rows.count, inputs: layer.inputs, outputs: layer.outputs)
        Dense.maskedReLUBackward(d: dx, xMasked: workspace.activations[l] + rows.lowerBound * layer.inputs,
                                 count: rows.count * layer.inputs, scale: model.trainingScale(layer: l))
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
