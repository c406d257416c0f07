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

    /// Measures the rate on worker 0 of `pool` (give it a one-worker pinned pool; worker 0 is the
    /// calling thread, bound to its place meanwhile): every layer's three products at M = `batch`,
    /// repeated for at least `seconds` and at least 3 times; the fastest repetition counts.
    public static func measure(model: ModelConfiguration, batch: Int, pool: WorkerPool, seconds: Double = 0.3) -> Roofline {
        let flops = model.trainingFlopsPerSample * Double(batch)
        let best = pool.pinningCaller { pool.map { worker -> Double in
            guard worker.index == 0 else { return .infinity }
            let products = StepProducts(model: model, batch: batch)
            var best = Double.infinity, repetitions = 0
            let start = Clock.seconds()
            while repetitions < 3 || Clock.seconds() - start < seconds {
                let begin = Clock.seconds()
                products.run()
                best = min(best, Clock.seconds() - begin)
                repetitions += 1
            }
            return best
        } }[0]
        return Roofline(gigaflopsPerCore: flops / best / 1e9, batch: batch, kernel: BLAS.coreName,
                        flopsPerSample: model.trainingFlopsPerSample)
    }
}
