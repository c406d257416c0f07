import Parallel

/// The step's products on made-up operands, as the roofline and the contention measurement run
/// them: every layer's forward, delta (none below the first layer) and weight-gradient GEMM at
/// M = the batch, each one `sgemm` of the whole layer (not the step's tiles), in operands of the largest layer's size, allocated by the worker that runs them.
final class StepProducts {
    private let layers: [ParameterLayout.Layer]
    private let batch: Int
    private let a, b, c: UnsafeMutablePointer<Float>

    init(model: ModelConfiguration, batch: Int) {
        self.layers = ParameterLayout(widths: model.layers).layers
        self.batch = batch
        let biggest = layers.map { max($0.inputs, $0.outputs) * max(batch, $0.inputs, $0.outputs) }.max()!
        a = .allocate(capacity: biggest)
        b = .allocate(capacity: biggest)
        c = .allocate(capacity: biggest)
        for i in 0..<biggest {
            a[i] = Float(i % 17) * 0.01
            b[i] = Float(i % 13) * 0.02
            c[i] = 0
        }
    }

    deinit {
        a.deallocate()
        b.deallocate()
        c.deallocate()
    }

    /// One pass over the step's products.
    func run() {
        for (l, layer) in layers.enumerated() {
            Dense.forward(x: a, w: b, y: c, rows: batch, inputs: layer.inputs, outputs: layer.outputs)
            // A step computes no delta below the first layer.
            if l > 0 {
                Dense.backwardInput(dy: a, w: b, dx: c, rows: batch, inputs: layer.inputs, outputs: layer.outputs)
            }
            Dense.weightGradient(dy: a, x: b, rows: batch, inputs: layer.inputs, outputs: layer.outputs,
                                 outputRange: 0..<layer.outputs, inputRange: 0..<layer.inputs, alpha: 1,
                                 into: c, leading: layer.inputs, rowsPerProduct: batch)
        }
    }
}
