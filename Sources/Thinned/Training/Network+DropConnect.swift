extension Network {
    /// The DropConnect mask of the sample at batch `position` over layer `l`'s weights.
    func connectionMask(_ batch: Batch, position: Int, layer l: Int) -> DropoutMask {
        let q = model.connectionKeepProbability
        return DropoutMask(generator: generator, purpose: batch.purpose, step: batch.step, sample: position, layer: l,
                           keepProbability: q, scale: 1 / q)
    }

    /// One sample through its own DropConnect sub-network, in row 0 of `workspace`: the loss,
    /// with ∂loss/∂logits (or the probabilities, when the batch asks) left in the last `deltas`.
    func dropConnectForward(_ workspace: Workspace, position: Int, batch: Batch, parameters theta: UnsafePointer<Float>) -> Float {
        let item = Int(batch.indices[position])
        let x = workspace.activations[0], image = batch.images + item * model.inputs
        // The same transforms as the unit-dropout paths draw for this image and epoch.
        if batch.augmentation.isEnabled, let side = Augmentation.side(features: model.inputs) {
            let parameters = batch.augmentation.parameters(seed: seed, epoch: batch.epoch, item: item, side: side)
            Augmentation.apply(parameters, side: side, source: image, destination: x)
        } else {
            x.update(from: image, count: model.inputs)
        }
        let last = model.depth - 1
        for (l, layer) in layout.layers.enumerated() {
            let y = l < last ? workspace.activations[l + 1] : workspace.deltas[l]
            let b = theta + layer.bias.lowerBound
            DropConnect.forward(x: workspace.activations[l], w: theta + layer.weights.lowerBound, y: y,
                                inputs: layer.inputs, outputs: layer.outputs,
                                mask: connectionMask(batch, position: position, layer: l), row: workspace.scratch)
            if l < last {
                for o in 0..<layer.outputs { y[o] = max(y[o] + b[o], 0) }
            } else {
                let label = Int(batch.labels[item])
                return batch.wantsProbabilities
                    ? SoftmaxCrossEntropy.probabilities(logits: y, bias: b, classes: layer.outputs, label: label)
                    : SoftmaxCrossEntropy.lossAndDelta(logits: y, bias: b, classes: layer.outputs, label: label)
            }
        }
        fatalError("unreachable: a network has an output layer")
    }

    /// ∇ᵢ of the sample at batch `position` through its DropConnect sub-network, written in full
    /// into `gradient`; returns its loss.
    func dropConnectGradient(_ workspace: Workspace, position: Int, batch: Batch, parameters theta: UnsafePointer<Float>,
                             into gradient: UnsafeMutablePointer<Float>) -> Float {
        let loss = dropConnectForward(workspace, position: position, batch: batch, parameters: theta)
        for l in stride(from: model.depth - 1, through: 0, by: -1) {
            let layer = layout.layers[l]
            DropConnect.backward(x: workspace.activations[l], w: theta + layer.weights.lowerBound, dy: workspace.deltas[l],
                                 dx: l > 0 ? workspace.deltas[l - 1] : nil, dw: gradient + layer.weights.lowerBound,
                                 db: gradient + layer.bias.lowerBound, inputs: layer.inputs, outputs: layer.outputs,
                                 mask: connectionMask(batch, position: position, layer: l), row: workspace.scratch)
            if l > 0 {
                Dense.maskedReLUBackward(d: workspace.deltas[l - 1], xMasked: workspace.activations[l], count: layer.inputs, scale: 1)
            }
        }
        return loss
    }
}
