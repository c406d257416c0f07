import Parallel

/// The reference path, Algorithm 5-8 word for word: every sample's gradient ∇ᵢ is materialised
/// in full, then ∇_ave = (1/|𝔹|) Σᵢ ∇ᵢ is summed in sample order.
///
/// With clipping (`privacy`), each ∇ᵢ is scaled by min(1, C/‖∇ᵢ‖) where it lies, before the sum,
/// and the step's noise (`GaussianNoise`) is added to ∇_ave chunk by chunk before the update.
///
/// Samples run `window` at a time (concurrently, one per task); their gradients are then added
/// to the running sum in sample order, in parallel over fixed chunks of the parameters. The
/// window bounds memory (window × parameters floats) and, like the chunks, does not depend on
/// the number of threads, so neither do the bits.
final class LiteralStep: GradientEngine {
    /// Samples whose gradients are held at once.
    static let window = 8
    /// Parameters per chunk of the in-order sum and of the update.
    static let chunk = 16_384

    let network: Network
    let pool: any ForkJoinExecutor
    let batchSize: Int
    /// One single-row workspace per worker, allocated by that worker (first touch on its node).
    let workspaces: [Workspace]
    /// `window` full gradients, `[window, parameters]`.
    let perSample: UnsafeMutablePointer<Float>
    let losses: UnsafeMutablePointer<Float>
    /// Clipping and noise, or nil for the plain step.
    let privacy: PrivacyConfiguration?
    /// Whether each step measures every ∇ᵢ's norm (always when clipping).
    let measuresNorms: Bool
    /// Whether each step also measures `batchGradientSquaredNorm` (per-sample statistics).
    let measuresStatistics: Bool
    /// `sampleNorms[i]`: the norm of the last step's ∇ᵢ before clipping (written only when measuring).
    let sampleNorms: UnsafeMutablePointer<Float>
    /// The squared norm of each parameter chunk of ∇_ave before noise (measuring statistics).
    let chunkSquaredNorms: UnsafeMutablePointer<Double>

    /// The largest batch the step takes (above `batchSize` only for Poisson sampling).
    let capacity: Int

    /// A step for batches of `batchSize` samples — or, with `capacity`, of any size up to it
    /// (Poisson sampling), ∇_ave still divided by `batchSize`, the expected size.
    init(network: Network, pool: any ForkJoinExecutor, batchSize: Int, capacity: Int? = nil, privacy: PrivacyConfiguration? = nil,
         measuresStatistics: Bool = false) {
        let capacity = max(capacity ?? batchSize, batchSize)
        self.capacity = capacity
        BLAS.useSingleThread()
        self.network = network
        self.pool = pool
        self.batchSize = batchSize
        workspaces = pool.map { _ in Workspace(widths: network.model.layers, rows: 1) }
        perSample = .allocate(capacity: Self.window * network.layout.count)
        perSample.initialize(repeating: 0, count: Self.window * network.layout.count)
        losses = .allocate(capacity: capacity)
        losses.initialize(repeating: 0, count: capacity)
        self.privacy = privacy
        self.measuresNorms = measuresStatistics || privacy != nil
        self.measuresStatistics = measuresStatistics
        sampleNorms = .allocate(capacity: capacity)
        sampleNorms.initialize(repeating: 0, count: capacity)
        let chunks = WorkerPool.chunkCount(of: network.layout.count, size: Self.chunk)
        chunkSquaredNorms = .allocate(capacity: chunks)
        chunkSquaredNorms.initialize(repeating: 0, count: chunks)
    }

    /// |G_B|², the squared norm of the last step's ∇_ave (of clipped gradients) before noise,
    /// summed over its chunks in order; 0 unless the step measures statistics.
    var batchGradientSquaredNorm: Double {
        guard measuresStatistics else { return 0 }
        var sum = 0.0
        for c in 0..<WorkerPool.chunkCount(of: network.layout.count, size: Self.chunk) { sum += chunkSquaredNorms[c] }
        return sum
    }

    deinit {
        perSample.deallocate()
        losses.deallocate()
        sampleNorms.deallocate()
        chunkSquaredNorms.deallocate()
    }

    /// Set to collect where the time of each step goes.
    var profiler: Profiler?

    /// The task counts of a step's fork–joins, in the order `step` runs them.
    var phaseTaskCounts: [Int] {
        let chunks = WorkerPool.chunkCount(of: network.layout.count, size: Self.chunk)
        let windows = stride(from: 0, to: batchSize, by: Self.window).flatMap { [min(Self.window, batchSize - $0), chunks] }
        return [chunks] + windows + [chunks]
    }

    /// The phases of a step; every one is a list of tasks over samples or parameter chunks.
    private enum Phase {
        /// Task j zeroes parameter chunk j of the running sum.
        case clear
        /// Task j computes the gradient of sample `window + j` into its slot.
        case samples(window: Int)
        /// Task j adds the first `count` slots to parameter chunk j of the sum, in sample order.
        case sum(count: Int)
        /// Task j divides parameter chunk j by |𝔹| and applies the update to it.
        case update
    }

    /// What the running phase's tasks read: set by `step`, read by the workers (the pool's
    /// fork–join orders the two).
    private struct Current {
        let p: StatePointers
        let batch: Network.Batch
        let update: OptimizerUpdate
        let phase: Phase
        /// The step's noise, when it adds noise.
        let noise: GaussianNoise?
    }
    private var current: Current?

    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float {
        precondition(batch.count <= capacity, "LiteralStep: batch of \(batch.count), built for at most \(capacity)")
        let chunks = WorkerPool.chunkCount(of: network.layout.count, size: Self.chunk)
        let noise = privacy?.noise(step: state.step + 1)
        state.withPointers { p in
            func run(_ phase: Phase, tasks: Int) {
                current = Current(p: p, batch: batch, update: update, phase: phase, noise: noise)
                if let profiler {
                    profiler.forkJoin(tasks: tasks) { pool.forEachTask(tasks, of: self) }
                } else {
                    pool.forEachTask(tasks, of: self)
                }
            }
            run(.clear, tasks: chunks)
            for start in stride(from: 0, to: batch.count, by: Self.window) {
                let count = min(Self.window, batch.count - start)
                run(.samples(window: start), tasks: count)
                run(.sum(count: count), tasks: chunks)
            }
            run(.update, tasks: chunks)
            current = nil
        }
        return Self.meanLoss(losses, count: batch.count)
    }

    /// ∇ᵢ: the gradient of the loss of the sample at batch `position` alone, through its own
    /// thinned network, written in full into `gradient` (the parameter layout). Returns its loss.
    ///
    /// A layer whose weights carry the sample's own mask (DropConnect) goes backward through that
    /// mask; any other through the GEMMs of the fused path, with one row.
    static func sampleGradient(_ network: Network, _ workspace: Workspace, position: Int, batch: Network.Batch,
                               parameters theta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>,
                               profiler: Profiler? = nil, worker: Int = 0) -> Float {
        let start = profiler == nil ? 0 : Clock.seconds()
        network.forward(workspace, rows: 0..<1, positionOffset: position, batch: batch, parameters: theta)
        let forwarded = profiler == nil ? 0 : Clock.seconds()
        profiler?.add(.forward, worker: worker, seconds: forwarded - start)
        defer { profiler?.add(.backward, worker: worker, seconds: Clock.seconds() - forwarded) }
        for l in stride(from: network.model.depth - 1, through: 0, by: -1) {
            if let mask = network.weightMask(batch.masks, layer: l, position: position) {
                network.backward(workspace, layer: l, weightMask: mask, parameters: theta, into: gradient)
                continue
            }
            let layer = network.layout.layers[l]
            network.gradient(workspace, layer: l, rows: 1, outputs: 0..<layer.outputs, inputs: 0..<layer.inputs,
                             alpha: 1, into: gradient)
            if l > 0 { network.backwardDelta(workspace, layer: l, rows: 0..<1, parameters: theta, masks: batch.masks) }
        }
        return workspace.losses[0]
    }
}

extension LiteralStep: WorkerTasks {
    func run(task: Int, on worker: Worker) {
        let current = self.current.unsafelyUnwrapped, p = current.p, profiler = self.profiler
        let parameters = network.layout.count
        var chunk: Range<Int> { (task * Self.chunk)..<min((task + 1) * Self.chunk, parameters) }
        let start = profiler == nil ? 0 : Clock.seconds()
        // What the task's time is charged to (a sample's own parts charge themselves).
        var phase: Profiler.Phase?
        switch current.phase {
        case .clear:
            for j in chunk { p.gradient[j] = 0 }
        case let .samples(window):
            let i = window + task
            losses[i] = Self.sampleGradient(network, workspaces[worker.index], position: i, batch: current.batch,
                                            parameters: p.theta, into: perSample + task * parameters,
                                            profiler: profiler, worker: worker.index)
            if measuresNorms {
                let gradient = perSample + task * parameters
                let norm = Network.squaredNorm(gradient, count: parameters).squareRoot()
                sampleNorms[i] = Float(norm)
                let c = PrivacyConfiguration.clipFactor(norm: norm, clipNorm: privacy.map { Double($0.clipNorm) } ?? .infinity)
                if c != 1 { for j in 0..<parameters { gradient[j] *= c } }
            }
        case let .sum(count):
            for s in 0..<count {
                let gradient = perSample + s * parameters
                for j in chunk { p.gradient[j] += gradient[j] }
            }
            phase = .parameter
        case .update:
            let inverse = 1 / Float(batchSize)
            for j in chunk { p.gradient[j] *= inverse }
            if measuresStatistics { chunkSquaredNorms[task] = Network.squaredNorm(p.gradient + chunk.lowerBound, count: chunk.count) }
            if let noise = current.noise, let privacy {
                noise.add(chunk, of: network.layout, scale: privacy.noiseScale(batchSize: batchSize), into: p.gradient)
            }
            p.apply(current.update, chunk)
            phase = .update
        }
        if let phase {
            profiler?.finish(task: task, start: start, phase: phase, since: start, worker: worker.index)
        } else {
            profiler?.log(task: task, start: start, end: Clock.seconds())
        }
    }
}
