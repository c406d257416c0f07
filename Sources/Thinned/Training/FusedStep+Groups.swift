import Parallel

/// `--reduce exact` (`ExactReduction`): this process's share of the batch — whole groups — and
/// the buffers that sum its groups' gradients with every other process's, exactly.
final class ExactGroups {
    let plan: GroupPlan
    let communicator: Communicator
    /// The batch positions this process computes.
    let rows: Range<Int>
    /// How many groups those are.
    var localGroups: Int { rows.count / plan.groupSize }
    /// Each local group's gradient (every parameter, over the batch size), one after another.
    let groupGradients: UnsafeMutablePointer<Float>
    /// The integer sums, one per parameter.
    let sums: UnsafeMutablePointer<Int64>
    /// The largest magnitude of each tensor (weights, then bias, layer by layer).
    let maxima: UnsafeMutablePointer<Float>
    /// The largest magnitude in each task of the group-gradient phase.
    var tileMaxima: UnsafeMutablePointer<Float>
    /// Each tensor's scale kₜ for the step under way.
    let scales: UnsafeMutablePointer<Int>
    /// The chunks of the combine and apply phases: pieces of one tensor each.
    let chunks: [(tensor: Int, elements: Range<Int>)]
    /// The squared norm of each chunk of the summed gradient, before noise (statistics).
    let chunkSquaredNorms: UnsafeMutablePointer<Double>
    /// Every process's losses and sample norms, in batch order.
    let allLosses: UnsafeMutablePointer<Float>
    let allNorms: UnsafeMutablePointer<Float>
    let parameters: Int
    let tensors: Int

    /// Elements per chunk of the combine and apply phases.
    static let chunk = 16_384

    init(plan: GroupPlan, communicator: Communicator, layout: ParameterLayout) {
        precondition(plan.ranks == communicator.size, "ExactGroups: a plan for \(plan.ranks) processes, \(communicator.size) running")
        self.plan = plan
        self.communicator = communicator
        rows = plan.rows(of: communicator.rank)
        parameters = layout.count
        tensors = 2 * layout.layers.count
        let local = rows.count / plan.groupSize
        groupGradients = .allocate(capacity: max(1, local * layout.count))
        groupGradients.initialize(repeating: 0, count: max(1, local * layout.count))
        sums = .allocate(capacity: layout.count)
        sums.initialize(repeating: 0, count: layout.count)
        maxima = .allocate(capacity: tensors)
        maxima.initialize(repeating: 0, count: tensors)
        scales = .allocate(capacity: tensors)
        scales.initialize(repeating: 0, count: tensors)
        tileMaxima = .allocate(capacity: 1)
        tileMaxima.initialize(to: 0)
        chunks = layout.tensors.enumerated().flatMap { t, tensor in
            stride(from: tensor.range.lowerBound, to: tensor.range.upperBound, by: Self.chunk).map {
                (tensor: t, elements: $0..<min($0 + Self.chunk, tensor.range.upperBound))
            }
        }
        chunkSquaredNorms = .allocate(capacity: max(1, chunks.count))
        chunkSquaredNorms.initialize(repeating: 0, count: max(1, chunks.count))
        let batch = plan.groups * plan.groupSize
        allLosses = .allocate(capacity: batch)
        allLosses.initialize(repeating: 0, count: batch)
        allNorms = .allocate(capacity: batch)
        allNorms.initialize(repeating: 0, count: batch)
    }

    deinit {
        groupGradients.deallocate()
        sums.deallocate()
        maxima.deallocate()
        scales.deallocate()
        tileMaxima.deallocate()
        chunkSquaredNorms.deallocate()
        allLosses.deallocate()
        allNorms.deallocate()
    }

    /// Room for the maxima of `count` tasks.
    func reserveTileMaxima(_ count: Int) {
        tileMaxima.deallocate()
        tileMaxima = .allocate(capacity: max(1, count))
        tileMaxima.initialize(repeating: 0, count: max(1, count))
    }

    /// The batch positions of every process (the gathers' counts and offsets).
    var counts: [Int] { (0..<plan.ranks).map { plan.rows(of: $0).count } }
    var offsets: [Int] { (0..<plan.ranks).map { plan.rows(of: $0).lowerBound } }
}

extension FusedStep {
    /// The step under `--reduce exact`: this process's rows through the phases (the last one
    /// leaves each local group's gradient in `groupGradients`), then every tensor's largest
    /// magnitude over all processes, the integers summed over the local groups and then over the
    /// processes, and each chunk back to Floats, noised and applied — the same on every process.
    /// Returns the mean loss over the whole batch (every process's losses, in batch order); NaN
    /// when a gradient is not finite (every process sees it: the maxima are shared).
    func exactStep(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate, exact: ExactGroups) -> Float {
        precondition(batch.count == batchSize, "FusedStep: --reduce exact takes batches of \(batchSize), got \(batch.count)")
        let noise = privacy?.noise(step: state.step + 1), noiseScale = privacy?.noiseScale(batchSize: batchSize) ?? 0
        let layout = network.layout
        var finite = true
        state.withPointers { p in
            func run(_ tasks: [Task]) {
                current = Current(p: p, batch: batch, update: update, tasks: tasks, noise: noise, noiseScale: noiseScale)
                if let profiler {
                    profiler.forkJoin(tasks: tasks.count) { pool.forEachTask(tasks.count, of: self) }
                } else {
                    pool.forEachTask(tasks.count, of: self)
                }
            }
            for phase in phases.indices { run(phases[phase]) }
            // Each tensor's largest magnitude: over this process's tiles, then over the processes.
            let groupPhase = phases[phases.count - 1]
            exact.maxima.update(repeating: 0, count: exact.tensors)
            for (t, task) in groupPhase.enumerated() {
                guard case let .groupGradient(_, layer, _, inputs) = task else { continue }
                let m = exact.tileMaxima[t]
                // A NaN anywhere makes the tensor's maximum NaN (`max` would drop it).
                let weights = 2 * layer
                if m.isNaN || exact.maxima[weights].isNaN { exact.maxima[weights] = .nan } else { exact.maxima[weights] = max(exact.maxima[weights], m) }
                if inputs.lowerBound == 0 {
                    // The bias's own maximum rides in the next slot of the tile maxima (see runExact).
                    let b = exact.tileMaxima[groupPhase.count + t]
                    if b.isNaN || exact.maxima[weights + 1].isNaN { exact.maxima[weights + 1] = .nan } else { exact.maxima[weights + 1] = max(exact.maxima[weights + 1], b) }
                }
            }
            // NaN is carried to every process as infinity (MPI's maximum of NaNs is unspecified).
            for t in 0..<exact.tensors where exact.maxima[t].isNaN { exact.maxima[t] = .infinity }
            exact.communicator.maximum(UnsafeMutableBufferPointer(start: exact.maxima, count: exact.tensors))
            for t in 0..<exact.tensors {
                guard let k = ExactReduction.scale(maximum: exact.maxima[t], groups: exact.plan.groups) else {
                    finite = false
                    break
                }
                exact.scales[t] = k
            }
            guard finite else { return }
            run((0..<exact.chunks.count).map { Task.combine(chunk: $0) })
            exact.communicator.sum(UnsafeMutableBufferPointer(start: exact.sums, count: layout.count))
            run((0..<exact.chunks.count).map { Task.apply(chunk: $0) })
            current = nil
        }
        // Every process's losses (and norms), in batch order.
        exact.communicator.gather(UnsafeBufferPointer(start: workspace.losses, count: exact.rows.count),
                                  into: UnsafeMutableBufferPointer(start: exact.allLosses, count: batchSize),
                                  counts: exact.counts, offsets: exact.offsets)
        if measuresNorms {
            exact.communicator.gather(UnsafeBufferPointer(start: sampleNorms, count: exact.rows.count),
                                      into: UnsafeMutableBufferPointer(start: exact.allNorms, count: batchSize),
                                      counts: exact.counts, offsets: exact.offsets)
            sampleNorms.update(from: exact.allNorms, count: batchSize)
        }
        guard finite else { return .nan }
        return Self.meanLoss(exact.allLosses, count: batchSize)
    }

    /// The tasks of `--reduce exact`'s phases.
    func runExact(task index: Int, _ task: Task, p: StatePointers, update: OptimizerUpdate, noise: GaussianNoise?,
                  noiseScale: Float, worker: Worker, start: Double) {
        guard let exact else { preconditionFailure("FusedStep: \(task) without --reduce exact") }
        let layout = network.layout
        switch task {
        case let .groupGradient(group, layer, outputs, inputs):
            let weights = layout.layers[layer], base = exact.groupGradients + group * layout.count
            let tile = base + weights.weights.lowerBound + outputs.lowerBound * weights.inputs + inputs.lowerBound
            let bias = base + weights.bias.lowerBound + outputs.lowerBound
            network.gradient(workspace, layer: layer, rows: exact.plan.groupSize, firstRow: group * exact.plan.groupSize,
                             outputs: outputs, inputs: inputs, alpha: 1 / Float(batchSize), weights: tile,
                             leading: weights.inputs, bias: bias)
            var m: Float = 0
            for o in 0..<outputs.count {
                let row = tile + o * weights.inputs
                for i in 0..<inputs.count { m = Self.largerMagnitude(m, row[i]) }
            }
            exact.tileMaxima[index] = m
            if inputs.lowerBound == 0 {
                var b: Float = 0
                for o in 0..<outputs.count { b = Self.largerMagnitude(b, bias[o]) }
                exact.tileMaxima[phases[phases.count - 1].count + index] = b
            }
            profiler?.add(.parameter, worker: worker.index, seconds: Clock.seconds() - start)
        case let .combine(chunk):
            let (t, elements) = exact.chunks[chunk], k = exact.scales[t]
            (exact.sums + elements.lowerBound).update(repeating: 0, count: elements.count)
            for g in 0..<exact.localGroups {
                ExactReduction.accumulate(exact.groupGradients + g * layout.count + elements.lowerBound, count: elements.count,
                                          scale: k, into: exact.sums + elements.lowerBound)
            }
            profiler?.add(.update, worker: worker.index, seconds: Clock.seconds() - start)
        case let .apply(chunk):
            let (t, elements) = exact.chunks[chunk]
            ExactReduction.values(exact.sums + elements.lowerBound, count: elements.count, scale: exact.scales[t],
                                  into: p.gradient + elements.lowerBound)
            if measuresStatistics {
                exact.chunkSquaredNorms[chunk] = Network.squaredNorm(p.gradient + elements.lowerBound, count: elements.count)
            }
            if let noise { noise.add(elements, of: layout, scale: noiseScale, into: p.gradient) }
            p.apply(update, elements)
            profiler?.add(.update, worker: worker.index, seconds: Clock.seconds() - start)
        default:
            preconditionFailure("FusedStep.runExact: \(task)")
        }
    }

    /// The larger of `m` and |x|, NaN if either is NaN.
    @inline(__always)
    static func largerMagnitude(_ m: Float, _ x: Float) -> Float {
        let a = abs(x)
        return a > m || a.isNaN ? a : m
    }
}
