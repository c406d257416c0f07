extension Network {
    /// Prediction for rows `rows` of `workspace`, holding dataset items `first + r`: no mask,
    /// every layer's input multiplied by its prediction scale (the keep probability for vanilla
    /// dropout — weight scaling — and 1 otherwise). Writes each item's loss and predicted class.
    func predict(_ workspace: Workspace, rows: Range<Int>, first: Int, images: UnsafePointer<Float>,
                 labels: UnsafePointer<Int32>, parameters theta: UnsafePointer<Float>,
                 losses: UnsafeMutablePointer<Float>, predictions: UnsafeMutablePointer<Int32>) {
        let widths = model.layers
        let inputScale = model.predictionScale(layer: 0)
        for r in rows {
            let x = workspace.activations[0] + r * widths[0]
            let source = images + (first + r) * widths[0]
            for e in 0..<widths[0] { x[e] = source[e] * inputScale }
        }
        let last = model.depth - 1
        for (l, layer) in layout.layers.enumerated() {
            let y = l < last ? workspace.activations[l + 1] : workspace.deltas[l]
            Dense.forward(x: workspace.activations[l] + rows.lowerBound * layer.inputs, w: theta + layer.weights.lowerBound,
                          y: y + rows.lowerBound * layer.outputs, rows: rows.count, inputs: layer.inputs, outputs: layer.outputs)
            let b = theta + layer.bias.lowerBound
            for r in rows {
                let row = y + r * layer.outputs
                if l < last {
                    let scale = model.predictionScale(layer: l + 1)
                    for e in 0..<layer.outputs { row[e] = max(row[e] + b[e], 0) * scale }
                } else {
                    for e in 0..<layer.outputs { row[e] += b[e] }
                    let (loss, predicted) = SoftmaxCrossEntropy.loss(logits: row, classes: layer.outputs,
                                                                     label: Int(labels[first + r]))
                    losses[first + r] = loss
                    predictions[first + r] = Int32(predicted)
                }
            }
        }
    }
}

/// Test accuracy and mean negative log-likelihood of a model on a data set.
public struct Evaluation: Sendable, Equatable {
    public let count: Int
    public let correct: Int
    /// Mean negative log-likelihood (natural log) of the true labels.
    public let meanLoss: Double
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
}
