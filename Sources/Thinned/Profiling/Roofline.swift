import Parallel

/// The arithmetic limit of a training step on this machine: the single-thread `sgemm` rate for
/// the step's own products (each at its whole size: M = the batch), measured on one pinned worker.
///
/// A step of the model costs `trainingFlopsPerSample × batch` flops in three products per layer
/// (forward, delta, weight gradient); at this rate on every core, `samplesPerSecond(threads:)` is
/// what the arithmetic allows. Throughput is reported as a fraction of it.
public struct Roofline: Sendable, Codable, Equatable {
    /// Single-thread `sgemm` rate for the step's shapes, best of several repetitions, in GFLOP/s.
    public let gigaflopsPerCore: Double
    /// The batch size the shapes were measured at.
    public let batch: Int
    /// The OpenBLAS kernel that ran (`openblas_get_corename`).
    public let kernel: String
    /// Flops of one training step per sample.
    public let flopsPerSample: Double

    /// The samples per second the arithmetic allows on `threads` cores.
    public func samplesPerSecond(threads: Int) -> Double {
        gigaflopsPerCore * 1e9 * Double(threads) / flopsPerSample
    }

    /// Measures the rate on worker 0 of `pool` (give it a one-worker pinned pool): every layer's
    /// three products at M = `batch`, repeated for at least `seconds` and at least 3 times; the
    /// fastest repetition counts.
    public static func measure(model: ModelConfiguration, batch: Int, pool: WorkerPool, seconds: Double = 0.3) -> Roofline {
        let layers = ParameterLayout(widths: model.layers).layers
        let flops = model.trainingFlopsPerSample * Double(batch)
        let best = pool.map { worker -> Double in
            guard worker.index == 0 else { return .infinity }
            let biggest = layers.map { max($0.inputs, $0.outputs) * max(batch, $0.inputs, $0.outputs) }.max()!
            let a = UnsafeMutablePointer<Float>.allocate(capacity: biggest), b = UnsafeMutablePointer<Float>.allocate(capacity: biggest)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: biggest)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for i in 0..<biggest {
                a[i] = Float(i % 17) * 0.01
                b[i] = Float(i % 13) * 0.02
                c[i] = 0
            }
            var best = Double.infinity, repetitions = 0
            let start = Clock.seconds()
            while repetitions < 3 || Clock.seconds() - start < seconds {
                let begin = Clock.seconds()
                for (l, layer) in layers.enumerated() {
                    Dense.forward(x: a, w: b, y: c, rows: batch, inputs: layer.inputs, outputs: layer.outputs)
                    // A step computes no delta below the first layer.
                    if l > 0 {
                        Dense.backwardInput(dy: a, w: b, dx: c, rows: batch, inputs: layer.inputs, outputs: layer.outputs)
                    }
                    Dense.weightGradient(dy: a, x: b, rows: batch, inputs: layer.inputs, outputs: layer.outputs,
                                         outputRange: 0..<layer.outputs, inputRange: 0..<layer.inputs, alpha: 1,
                                         into: c, leading: layer.inputs)
                }
                best = min(best, Clock.seconds() - begin)
                repetitions += 1
            }
            return best
        }[0]
        return Roofline(gigaflopsPerCore: flops / best / 1e9, batch: batch, kernel: BLAS.coreName,
                        flopsPerSample: model.trainingFlopsPerSample)
    }
}
