import CKernels
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
    /// The integer sums, one per parameter, then the counts of tiles that met a NaN and of tiles
    /// that met a value beyond its bound (summed over the processes with the gradient).
    let sums: UnsafeMutablePointer<Int64>
    /// Each local row's largest |δ| and |z̃| in each layer (`row · layers + layer`).
    let deltaMaxima: UnsafeMutablePointer<Float>
    let inputMaxima: UnsafeMutablePointer<Float>
    /// Each tensor's bound Mₜ (weights, then bias, layer by layer), then shared as a maximum.
    let bounds: UnsafeMutablePointer<Float>
    /// Each tensor's scale kₜ for the step under way.
    let scales: UnsafeMutablePointer<Int>
    /// What each task of the gradient phase met: 0, or the kernel's flag (a NaN or a value beyond
    /// the bound).
    private(set) var status: UnsafeMutablePointer<Int8>
    private(set) var statusCount = 0
    /// The chunks of the apply phases: pieces of one tensor each.
    let chunks: [(tensor: Int, elements: Range<Int>)]
    /// The chunks of each layer (its weights', then its bias's).
    let layerChunks: [[Int]]
    /// Where the running gradient phase's tasks keep their status: the tiles of the layers above
    /// (set by the calling thread before each phase).
    var statusOffset = 0
    /// The squared norm of each chunk of the summed gradient, before noise (statistics).
    let chunkSquaredNorms: UnsafeMutablePointer<Double>
    /// Every process's losses and sample norms, in batch order.
    let allLosses: UnsafeMutablePointer<Float>
    let allNorms: UnsafeMutablePointer<Float>
    let parameters: Int
    let tensors: Int
    let layers: Int
    /// The handles of the step's started sums, a layer's each (kept, so a step allocates none).
    var handles: [Int] = []
    /// Whether the last step found a value beyond its bound (a defect: the bound is proven).
    var overflowed = false
    /// The time in collectives so far.
    var times = ReductionTimes()

    /// Elements per chunk of the apply phase.
    static let chunk = 16_384

    init(plan: GroupPlan, communicator: Communicator, layout: ParameterLayout) {
        precondition(plan.ranks == communicator.size, "ExactGroups: a plan for \(plan.ranks) processes, \(communicator.size) running")
        self.plan = plan
        self.communicator = communicator
        rows = plan.rows(of: communicator.rank)
        counts = (0..<plan.ranks).map { plan.rows(of: $0).count }
        offsets = (0..<plan.ranks).map { plan.rows(of: $0).lowerBound }
        handles.reserveCapacity(layout.layers.count)
        parameters = layout.count
        layers = layout.layers.count
        tensors = 2 * layers
        sums = .allocate(capacity: layout.count + 2)
        sums.initialize(repeating: 0, count: layout.count + 2)
        deltaMaxima = .allocate(capacity: rows.count * layers)
        deltaMaxima.initialize(repeating: 0, count: rows.count * layers)
        inputMaxima = .allocate(capacity: rows.count * layers)
        inputMaxima.initialize(repeating: 0, count: rows.count * layers)
        bounds = .allocate(capacity: tensors)
        bounds.initialize(repeating: 0, count: tensors)
        scales = .allocate(capacity: tensors)
        scales.initialize(repeating: 0, count: tensors)
        status = .allocate(capacity: 1)
        status.initialize(to: 0)
        let chunks = layout.tensors.enumerated().flatMap { t, tensor in
            stride(from: tensor.range.lowerBound, to: tensor.range.upperBound, by: Self.chunk).map {
                (tensor: t, elements: $0..<min($0 + Self.chunk, tensor.range.upperBound))
            }
        }
        self.chunks = chunks
        layerChunks = (0..<layout.layers.count).map { l in chunks.indices.filter { chunks[$0].tensor / 2 == l } }
        chunkSquaredNorms = .allocate(capacity: max(1, chunks.count))
        chunkSquaredNorms.initialize(repeating: 0, count: max(1, chunks.count))
        let batch = plan.groups * plan.groupSize
        allLosses = .allocate(capacity: batch)
        allLosses.initialize(repeating: 0, count: batch)
        allNorms = .allocate(capacity: batch)
        allNorms.initialize(repeating: 0, count: batch)
    }

    deinit {
        sums.deallocate()
        deltaMaxima.deallocate()
        inputMaxima.deallocate()
        bounds.deallocate()
        scales.deallocate()
        status.deallocate()
        chunkSquaredNorms.deallocate()
        allLosses.deallocate()
        allNorms.deallocate()
    }

    /// Room for the status of `tiles` tasks.
    func reserveStatus(tiles: Int) {
        status.deallocate()
        statusCount = tiles
        status = .allocate(capacity: max(1, tiles))
        status.initialize(repeating: 0, count: max(1, tiles))
    }

    /// The bytes a process holds for `--reduce exact` beside the plain step (what `requireMemory`
    /// adds) for a model of these widths: the integer sums, and as much again for the temporary
    /// buffers MPI's all-reduce may take, the per-row bounds, the batch's losses and norms, the
    /// tiles' status (one byte a gradient tile, counted at the narrow plan's 32 outputs, the
    /// most tiles either plan has). Nil where that many bytes overflow.
    static func bytes(widths: [Int], rows: Int) -> Int? {
        // Far below what any machine holds, and every product below stays in range.
        let limit = Int.max / 64
        guard let parameters = ParameterLayout.parameterCount(widths: widths), parameters < limit,
              rows < limit / max(1, widths.count) else { return nil }
        let layers = widths.count - 1
        let tiles = (0..<layers).reduce(0) { sum, l in
            sum + (widths[l + 1] + TilePlan.narrowGradientOutputs - 1) / TilePlan.narrowGradientOutputs
                * ((widths[l] + FusedStep.tileInputs - 1) / FusedStep.tileInputs)
        }
        return 2 * (parameters + 2) * MemoryLayout<Int64>.stride + 2 * rows * layers * MemoryLayout<Float>.stride
            + 2 * rows * MemoryLayout<Float>.stride + tiles + 2 * layers + 64
    }

    /// Each tensor's bound over this process's groups (see `ExactReduction`), from the rows'
    /// maxima: the largest over the groups of (1/B)·Σᵢ aᵢbᵢ for the weights and (1/B)·Σᵢ aᵢ for
    /// the bias, in Double, times the rounding margin, rounded up to a Float.
    func localBounds(batchSize: Int) {
        let size = plan.groupSize, margin = ExactReduction.margin(rows: size) / Double(batchSize)
        for l in 0..<layers {
            var weights = 0.0, bias = 0.0
            for g in 0..<localGroups {
                var w = 0.0, b = 0.0
                for r in (g * size)..<((g + 1) * size) {
                    let a = Double(deltaMaxima[r * layers + l])
                    w += a * Double(inputMaxima[r * layers + l])
                    b += a
                }
                weights = max(weights, w)
                bias = max(bias, b)
            }
            bounds[2 * l] = Self.roundedUp(weights * margin)
            bounds[2 * l + 1] = Self.roundedUp(bias * margin)
        }
    }

    /// The least Float at or above `x`; infinity beyond the Floats and for NaN (MPI's maximum of a
    /// NaN depends on the order, and every process must see the same bound).
    static func roundedUp(_ x: Double) -> Float {
        guard !x.isNaN else { return .infinity }
        let f = Float(x)
        return Double(f) < x ? f.nextUp : f
    }

    /// The batch positions of every process (the gathers' counts and offsets).
    let counts: [Int]
    let offsets: [Int]
}

extension FusedStep {
    /// The step under `--reduce exact`: this process's rows through the phases — the forward
    /// pass, every delta, each row's bounds, then each gradient tile of each local group, turned
    /// into integers and summed over the groups while in cache; every tensor's bound is shared
    /// (a maximum) before the tiles run, the integers are summed over the processes, and each
    /// chunk is turned back to Floats, noised and applied — the same on every process. Returns the
    /// mean loss over the whole batch (every process's losses, in batch order); NaN when a gradient
    /// is not finite (every process sees it: the bounds and the tiles' flags are shared).
    func exactStep(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate, exact: ExactGroups) -> Float {
        precondition(batch.count == batchSize, "FusedStep: --reduce exact takes batches of \(batchSize), got \(batch.count)")
        let noise = privacy?.noise(step: state.step + 1), noiseScale = privacy?.noiseScale(batchSize: batchSize) ?? 0
        let layout = network.layout, parameters = layout.count
        var finite = true
        exact.overflowed = false
        state.withPointers { p in
            /// A phase; with sums under way, the calling thread lets them progress meanwhile.
            func run(_ tasks: [Task], progressing: Bool = false) {
                current = Current(p: p, batch: batch, update: update, tasks: tasks, noise: noise, noiseScale: noiseScale)
                let communicator = exact.communicator
                func phase() {
                    if progressing {
                        pool.forEachTask(tasks.count, of: self) { communicator.progress() }
                    } else {
                        pool.forEachTask(tasks.count, of: self)
                    }
                }
                if let profiler { profiler.forkJoin(tasks: tasks.count, phase) } else { phase() }
            }
            for phase in 0..<(phases.count - layout.layers.count) { run(phases[phase]) }
            // The bounds, shared before any tile is converted: every process then uses one scale.
            exact.localBounds(batchSize: batchSize)
            let waitStart = Clock.seconds()
            exact.communicator.maximum(UnsafeMutableBufferPointer(start: exact.bounds, count: exact.tensors))
            exact.times.waiting += Clock.seconds() - waitStart
            for t in 0..<exact.tensors {
                guard let k = ExactReduction.scale(maximum: exact.bounds[t], groups: exact.plan.groups) else {
                    finite = false
                    break
                }
                exact.scales[t] = k
            }
            guard finite else { return }
            // Each layer's tiles, from the top; its sums start at once and travel while the layers
            // below are computed.
            let layers = layout.layers, tilePhases = (phases.count - layers.count)..<phases.count
            exact.handles.removeAll(keepingCapacity: true)
            exact.statusOffset = 0
            // By index, here and below: an unoptimised build allocates zip's and stride's iterators.
            for phase in tilePhases {
                let l = phases.count - 1 - phase
                run(phases[phase], progressing: !exact.handles.isEmpty)
                exact.statusOffset += phases[phase].count
                let reduceStart = Clock.seconds()
                let range = layers[l].weights.lowerBound..<layers[l].bias.upperBound
                exact.handles.append(exact.communicator.startSum(UnsafeMutableBufferPointer(start: exact.sums + range.lowerBound,
                                                                                      count: range.count)))
                _ = exact.communicator.progress()
                exact.times.reducing += Clock.seconds() - reduceStart
            }
            var nan: Int64 = 0, beyond: Int64 = 0
            for t in 0..<exact.statusCount {
                nan += Int64(exact.status[t] & 1)
                beyond += Int64(exact.status[t] >> 1)
            }
            exact.sums[parameters] = nan
            exact.sums[parameters + 1] = beyond
            let reduceStart = Clock.seconds()
            exact.communicator.sum(UnsafeMutableBufferPointer(start: exact.sums + parameters, count: 2))
            exact.times.reducing += Clock.seconds() - reduceStart
            let failed = exact.sums[parameters] != 0 || exact.sums[parameters + 1] != 0
            // Each layer applied as soon as its sums are in, from the top (the first started).
            for i in 0..<exact.handles.count {
                let l = layers.count - 1 - i
                let waitStart = Clock.seconds()
                exact.communicator.finish(exact.handles[i])
                exact.times.reducing += Clock.seconds() - waitStart
                if !failed { run(applyPhases[l], progressing: l > 0) }
            }
            if failed {
                exact.overflowed = exact.sums[parameters + 1] > 0
                finite = false
            }
            current = nil
        }
        current = nil
        // Every process's losses (and norms), in batch order.
        let gatherStart = Clock.seconds()
        defer {
            exact.times.gathering += Clock.seconds() - gatherStart
            exact.times.steps += 1
            exact.times.bytesPerStep = exact.tensors * MemoryLayout<Float>.stride + (parameters + 2) * MemoryLayout<Int64>.stride
                + (measuresNorms ? 2 : 1) * exact.rows.count * MemoryLayout<Float>.stride
        }
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

    /// The tasks of `--reduce exact`'s phases; returns the phase their time is charged to.
    func runExact(task index: Int, _ task: Task, p: StatePointers, update: OptimizerUpdate, noise: GaussianNoise?,
                  noiseScale: Float, worker: Worker) -> Profiler.Phase {
        guard let exact else { preconditionFailure("FusedStep: \(task) without --reduce exact") }
        let layout = network.layout
        switch task {
        case let .bound(rows):
            for r in rows {
                for l in 0..<exact.layers {
                    let layer = layout.layers[l]
                    exact.deltaMaxima[r * exact.layers + l] = Self.largestMagnitude(workspace.delta(layer: l) + r * layer.outputs,
                                                                                    count: layer.outputs)
                    exact.inputMaxima[r * exact.layers + l] = Self.largestMagnitude(workspace.inputs[l] + r * layer.inputs,
                                                                                    count: layer.inputs)
                }
            }
            return .backward
        case let .exactTile(layer, outputs, inputs):
            // Each group's tile in the worker's buffer, then its integers added to the sums.
            let weights = layout.layers[layer]
            let tile = gradientTiles + worker.index * Self.tileStride, bias = tile + Self.tileOutputs * Self.tileInputs
            let kw = exact.scales[2 * layer], kb = exact.scales[2 * layer + 1]
            let limit = ExactReduction.limit(groups: exact.plan.groups)
            let sumTile = exact.sums + weights.weights.lowerBound + outputs.lowerBound * weights.inputs + inputs.lowerBound
            let sumBias = exact.sums + weights.bias.lowerBound + outputs.lowerBound
            var flags: Int8 = 0
            for g in 0..<exact.localGroups {
                network.gradient(workspace, layer: layer, rows: exact.plan.groupSize, firstRow: g * exact.plan.groupSize,
                                 outputs: outputs, inputs: inputs, alpha: 1 / Float(batchSize), weights: tile,
                                 leading: inputs.count, bias: bias)
                flags |= ExactReduction.accumulate(tile, rows: outputs.count, columns: inputs.count, stride: inputs.count, scale: kw,
                                                   limit: limit, into: sumTile, sumStride: weights.inputs, store: g == 0)
                if inputs.lowerBound == 0 {
                    flags |= ExactReduction.accumulate(bias, columns: outputs.count, scale: kb, limit: limit, into: sumBias, store: g == 0)
                }
            }
            exact.status[exact.statusOffset + index] = flags
            return .parameter
        case let .apply(chunk):
            let (t, elements) = exact.chunks[chunk]
            ExactReduction.values(exact.sums + elements.lowerBound, count: elements.count, scale: exact.scales[t],
                                  into: p.gradient + elements.lowerBound)
            if measuresStatistics {
                exact.chunkSquaredNorms[chunk] = Network.squaredNorm(p.gradient + elements.lowerBound, count: elements.count)
            }
            if let noise { noise.add(elements, of: layout, scale: noiseScale, into: p.gradient) }
            p.apply(update, elements)
            return .update
        default:
            preconditionFailure("FusedStep.runExact: \(task)")
        }
    }

    /// The largest |x| of `count` Floats (a NaN among them may be missed: the tiles' conversion
    /// reports NaN).
    static func largestMagnitude(_ x: UnsafePointer<Float>, count: Int) -> Float { thinned_largest_magnitude(x, count) }
}
