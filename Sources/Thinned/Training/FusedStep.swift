import Parallel

/// The plan of record (DESIGN.md, "The training step"): per-sample semantics, batched arithmetic.
///
/// Phases, each one fork–join over a fixed list of tasks that workers claim in turn:
/// 1. the images of each block of rows, masked with their samples' input masks;
/// 2. forward, layer by layer: tiles of `shardSize` samples (half a shard at small batches) ×
///    some units (`TilePlan`), each one GEMM and one fused pass (bias, ReLU, each sample's mask
///    for the next layer);
/// 3. the output layer and softmax cross-entropy by blocks of rows;
/// 4. for each layer l from the top: the gradient tiles of layer l + 1, listed first (the longer
///    tasks, so that the workers' last tasks are short ones), together with the deltas of layer
///    l − 1 in 2-D tiles (they read the old weights of layer l) — each gradient tile
///    one GEMM over the whole batch, Δᵀ Z̃ / |𝔹|, into its worker's own tile buffer, and applied
///    by the optimizer from there while still in cache (its layer's old weights have no reader
///    left), so a gradient never travels to memory: the update streams only θ and the
///    optimizer's state;
/// 5. the gradient tiles of layers 1 and 0.
///
/// With per-sample clipping (`privacy`), every sample's gradient norm must be known before any
/// gradient tile runs, so the backward phases change: the deltas of every layer first, then one
/// phase by blocks of rows that computes each sample's norm from its deltas and inputs,
/// ‖∇ᵢ‖² = Σₗ ‖δᵢˡ‖² (‖z̃ᵢˡ‖² + 1) (Goodfellow, "Efficient per-example gradient computations",
/// 2015), and scales the sample's deltas by cᵢ = min(1, C/‖∇ᵢ‖), then every layer's gradient
/// tiles, each now Σᵢ cᵢ δᵢ z̃ᵢᵀ — the sum of the clipped gradients — plus the step's noise
/// (`GaussianNoise`), over |𝔹|.
///
/// Determinism: row blocks and tiles are fixed by the batch size, the shard size and the layer
/// widths (`TilePlan`), never by the number of threads, and every element is computed by the
/// same call with the same shape.
///
/// The shared workspace is first touched by the workers along this tile plan, not zero-filled
/// by the calling thread (see `FusedStep+FirstTouch.swift`).
final class FusedStep: GradientEngine {
    enum Task: Equatable {
        case input(rows: Range<Int>)
        case forward(layer: Int, rows: Range<Int>, columns: Range<Int>)
        case output(rows: Range<Int>)
        case delta(layer: Int, rows: Range<Int>, columns: Range<Int>)
        case gradient(layer: Int, outputs: Range<Int>, inputs: Range<Int>)
        case clip(rows: Range<Int>)
        /// `--reduce exact`: the largest |δ| and |z̃| of each sample of `rows` in every layer.
        case bound(rows: Range<Int>)
        /// `--reduce exact`: a gradient tile of each of this process's groups, as integers, summed.
        case exactTile(layer: Int, outputs: Range<Int>, inputs: Range<Int>)
        /// `--reduce exact`: chunk `chunk` of the summed gradient back to Floats, its noise, its update.
        case apply(chunk: Int)
    }

    /// The largest weight-gradient tile, outputs × inputs, for which each worker's tile buffer
    /// has room (a plan's own tiles: `TilePlan.gradientOutputs`, fixed by the batch, never by
    /// the thread count).
    static let tileOutputs = TilePlan.maximumGradientOutputs
    static let tileInputs = TilePlan.gradientInputs
    /// Rows per task of the cheap row-block phases (the output layer's product with the softmax,
    /// the clipping, the bounds).
    static let elementwiseRows = 10
    /// Rows per task of the first phase, which masks the images: 5, so that its longest task
    /// (about 5 µs at 784 pixels, against 8 for 10 rows) adds less to the step's span at batch
    /// 100 (issue 11, item 4). Each row is masked apart, so the blocks change no bit.
    static let inputRows = 5

    let network: Network
    let pool: any ForkJoinExecutor
    let batchSize: Int
    let workspace: Workspace
    let tiles: TilePlan
    /// The fork–joins of a step over `batchSize` samples.
    let phases: [[Task]]
    /// The largest batch the step takes (above `batchSize` only for Poisson sampling).
    let capacity: Int
    let shardSize: Int
    /// The phases of the last batch of another size (Poisson sampling), kept while sizes repeat.
    /// Changed only by the calling thread, in `step` and `firstTouch`, between fork–joins; the
    /// workers read only `current.tasks`.
    private var otherPhases: (rows: Int, phases: [[Task]])?
    /// Clipping and noise, or nil for the plain step.
    let privacy: PrivacyConfiguration?
    /// `--reduce exact`: this process's groups of the batch and what sums them with the other
    /// processes' (`FusedStep+Groups.swift`); nil for the sum over the whole batch in tiles.
    let exact: ExactGroups?
    /// `--reduce exact`: each layer's apply tasks (its chunks), run as its sums arrive; none otherwise.
    let applyPhases: [[Task]]
    /// Whether each step measures every sample's gradient norm (always when clipping): then
    /// the backward phases take the clipping order (all deltas, the norms, all gradient tiles),
    /// which gives the plain step's bits when nothing is clipped.
    let measuresNorms: Bool
    /// Whether each step also measures `batchGradientSquaredNorm` (per-sample statistics: a
    /// pass over every gradient tile, which clipping alone does not need).
    let measuresStatistics: Bool
    /// `sampleNorms[r]`: the norm of the last step's gradient of the sample in row `r`, before
    /// clipping (written only when measuring norms).
    let sampleNorms: UnsafeMutablePointer<Float>
    /// The squared norm of each gradient tile of the last phase, before noise (measuring statistics).
    let tileSquaredNorms: UnsafeMutablePointer<Double>
    /// One weight-gradient tile (`tileOutputs × tileInputs`, then `tileOutputs` bias entries) per
    /// worker, `tileStride` floats apart; worker `i` uses only its own (the worker's index picks
    /// the buffer, never the work).
    let gradientTiles: UnsafeMutablePointer<Float>
    /// How many rows ahead a tile's update asks for the parameters (and optimizer state) it will
    /// update next: the rows are short runs a layer's width apart, which the hardware's stream
    /// prefetchers barely learn (`thinned_prefetch`, CSupport). Four: on the development VM the
    /// one-worker update took 1.34 ms a step for Adam (1.56 without) and 0.29 for SGD (0.45),
    /// alternating runs in `Benchmarks/results/scale-2core/series/prefetch-ab-*.txt`, and 0.91
    /// for Adam with the hint into L2 (`series-e53bbf2/prefetch-l2-ab-adam.txt`). Eight measured
    /// the same on one worker (`prefetch8-ab-adam.txt`; with the L2 hint 0.89 and 1.06 ms against
    /// four's 0.91 and 1.13), and worse on two at batch 100 (0.48 against 0.39 ms).
    static let prefetchRows = 4
    static let tileStride = (tileOutputs * tileInputs + tileOutputs + 15) / 16 * 16

    /// A step for batches of `batchSize` samples — or, with `capacity`, of any size up to it
    /// (Poisson sampling), the gradient still divided by `batchSize`, the expected size.
    init(network: Network, pool: any ForkJoinExecutor, batchSize: Int, capacity: Int? = nil, shardSize: Int,
         privacy: PrivacyConfiguration? = nil, measuresStatistics: Bool = false, exact: ExactGroups? = nil) {
        precondition(shardSize >= 1, "FusedStep: shard size \(shardSize) must be >= 1")
        precondition(network.model.maskKind?.sharesWeights ?? true,
                     "FusedStep: \(network.model.dropout) gives every sample its own weights; it needs the literal step")
        let capacity = max(capacity ?? batchSize, batchSize)
        BLAS.useSingleThread()
        self.network = network
        self.pool = pool
        self.batchSize = batchSize
        self.capacity = capacity
        self.shardSize = shardSize
        self.privacy = privacy
        self.measuresNorms = measuresStatistics || privacy != nil
        self.measuresStatistics = measuresStatistics
        self.exact = exact
        applyPhases = exact?.layerChunks.map { $0.map { Task.apply(chunk: $0) } } ?? []
        precondition(exact == nil || capacity == batchSize, "FusedStep: --reduce exact takes fixed-size batches")
        // Under --reduce exact the workspace holds this process's rows only.
        let rows = exact?.rows.count ?? capacity
        sampleNorms = .allocate(capacity: capacity)
        sampleNorms.initialize(repeating: 0, count: capacity)
        self.workspace = Workspace(widths: network.model.layers, rows: rows, zeroed: false)
        tiles = TilePlan(widths: network.model.layers, rows: shardSize, batch: batchSize)
        phases = Self.phases(rows: exact?.rows.count ?? batchSize, network: network, shardSize: shardSize, plan: tiles,
                             measuresNorms: self.measuresNorms, exactGroups: exact.map { ($0.localGroups, $0.plan.groupSize) })
        exact?.reserveStatus(tiles: phases.suffix(network.layout.layers.count).map(\.count).reduce(0, +))
        tileSquaredNorms = .allocate(capacity: phases.last?.count ?? 0)
        tileSquaredNorms.initialize(repeating: 0, count: phases.last?.count ?? 0)
        let bytes = pool.count * Self.tileStride * MemoryLayout<Float>.stride
        gradientTiles = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self,
                                                                                                      capacity: bytes / 4)
        firstTouch()
    }

    deinit {
        gradientTiles.deallocate()
        sampleNorms.deallocate()
        tileSquaredNorms.deallocate()
    }

    /// |G_B|², the squared norm of the last step's averaged (clipped) gradient before noise,
    /// summed over its tiles in task order; 0 unless the step measures statistics.
    var batchGradientSquaredNorm: Double {
        guard measuresStatistics, let last = phases.last else { return 0 }
        if let exact {
            var sum = 0.0
            for c in exact.chunks.indices { sum += exact.chunkSquaredNorms[c] }
            return sum
        }
        var sum = 0.0
        for t in last.indices { sum += tileSquaredNorms[t] }
        return sum
    }

    /// The fork–joins of a step over `rows` samples, each a fixed list of tasks (see the type's
    /// summary): fixed by the rows, the shard size and the layer widths, never by the threads.
    ///
    /// With `exactGroups` (`--reduce exact`: `count` groups of `size` rows, `rows` in all), the
    /// backward phases take the clipping order, with the norms phase only when measuring norms,
    /// then a phase of each sample's bounds, and the last phases (one per layer, from the top)
    /// compute each gradient tile of every group apart and sum them as integers.
    static func phases(rows batchSize: Int, network: Network, shardSize: Int, plan: TilePlan, measuresNorms: Bool,
                       exactGroups: (count: Int, size: Int)? = nil) -> [[Task]] {
        /// `range` in consecutive blocks of `size` (the last one shorter).
        func blocks(_ range: Range<Int>, _ size: Int) -> [Range<Int>] {
            stride(from: range.lowerBound, to: range.upperBound, by: size).map { $0..<min($0 + size, range.upperBound) }
        }
        func blocks(_ count: Int, _ size: Int) -> [Range<Int>] { blocks(0..<count, size) }
        precondition(plan.rows == shardSize, "FusedStep.phases: a plan for shards of \(plan.rows), shards of \(shardSize)")
        precondition(exactGroups.map { $0.count * $0.size == batchSize } ?? true,
                     "FusedStep.phases: \(batchSize) rows are not the groups \(String(describing: exactGroups))")
        let shards = blocks(batchSize, shardSize)
        // The output phase's product is one GEMM per block of rows, so under --reduce exact its
        // blocks stay within groups: each group's rows are then multiplied the same way whichever
        // process holds them (a block across two groups would be cut where a process's rows end).
        let small = exactGroups.map { groups in
            (0..<groups.count).flatMap { g in blocks((g * groups.size)..<((g + 1) * groups.size), Self.elementwiseRows) }
        } ?? blocks(batchSize, Self.elementwiseRows)
        let layers = network.layout.layers
        func tiles(_ l: Int) -> [Task] {
            blocks(layers[l].outputs, plan.gradientOutputs).flatMap { o in
                blocks(layers[l].inputs, Self.tileInputs).map { i in Task.gradient(layer: l, outputs: o, inputs: i) }
            }
        }
        // Within a group of `TilePlan.groupShards` shards, column block by column block:
        // consecutive tasks share their block of the weights, which stays in the worker's cache
        // while the group's rows (which stay in cache too) stream past it.
        let groups = stride(from: 0, to: shards.count, by: TilePlan.groupShards).map {
            shards[$0..<min($0 + TilePlan.groupShards, shards.count)]
        }
        func grouped(_ columns: [Range<Int>], rows: Int, _ task: (Range<Int>, Range<Int>) -> Task) -> [Task] {
            groups.flatMap { group in columns.flatMap { c in group.flatMap { blocks($0, rows).map { task($0, c) } } } }
        }
        var phases: [[Task]] = [blocks(batchSize, Self.inputRows).map { .input(rows: $0) }]
        for l in 0..<(layers.count - 1) {
            phases.append(grouped(blocks(layers[l].outputs, plan.forwardColumns[l]), rows: plan.tileRows) {
                Task.forward(layer: l, rows: $0, columns: $1)
            })
        }
        phases.append(small.map { .output(rows: $0) })
        if measuresNorms || exactGroups != nil {
            for l in stride(from: layers.count - 1, through: 1, by: -1) {
                phases.append(grouped(blocks(layers[l].inputs, plan.deltaColumns[l]), rows: plan.tileRows) {
                    Task.delta(layer: l, rows: $0, columns: $1)
                })
            }
            if measuresNorms { phases.append(small.map { .clip(rows: $0) }) }
            let all = stride(from: layers.count - 1, through: 0, by: -1).flatMap(tiles)
            if exactGroups != nil {
                phases.append(small.map { .bound(rows: $0) })
                // One phase per layer, from the top: each layer's sums can leave while the layers
                // below are computed.
                for l in stride(from: layers.count - 1, through: 0, by: -1) {
                    phases.append(tiles(l).map { task -> Task in
                        guard case let .gradient(l, o, i) = task else { preconditionFailure("FusedStep: \(task) is no gradient tile") }
                        return .exactTile(layer: l, outputs: o, inputs: i)
                    })
                }
            } else {
                phases.append(all)
            }
        } else {
            for l in stride(from: layers.count - 1, through: 1, by: -1) {
                let deltas = grouped(blocks(layers[l].inputs, plan.deltaColumns[l]), rows: plan.tileRows) {
                    Task.delta(layer: l, rows: $0, columns: $1)
                }
                phases.append(Self.interleave(l + 1 < layers.count ? tiles(l + 1) : [], deltas))
            }
            phases.append(Self.interleave(layers.count > 1 ? tiles(1) : [], tiles(0)))
        }
        return phases
    }

    /// The phases of a step over `rows` samples: `phases` for the batch size, others built when
    /// a batch of that size comes (Poisson sampling).
    func phases(rows: Int) -> [[Task]] {
        if rows == batchSize || exact != nil { return phases }
        if let known = otherPhases, known.rows == rows { return known.phases }
        // Built again for each new size, not kept: Poisson batches take some 16σ sizes, and
        // building a step's lists costs little beside running the step.
        let built = Self.phases(rows: rows, network: network, shardSize: shardSize, plan: tiles, measuresNorms: measuresNorms)
        otherPhases = (rows, built)
        return built
    }

    /// `a` and `b` merged in proportion, each in its own order: element `i` of `a` goes where
    /// `i / a.count` falls among the `j / b.count` of `b` (ties to `a`). A pool's worker first
    /// serves its own contiguous share of a phase's list, so every share then holds the same
    /// fraction of each list: with the lists in order of the weights' rows, a worker updates
    /// the rows it reads in the forward tiles of the same fraction (while a forward phase is one
    /// group of shards, as at batch 200 and below), and those stay in its cache.
    static func interleave(_ a: [Task], _ b: [Task]) -> [Task] {
        var merged: [Task] = [], i = 0, j = 0
        merged.reserveCapacity(a.count + b.count)
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && i * b.count <= j * a.count) {
                merged.append(a[i]); i += 1
            } else {
                merged.append(b[j]); j += 1
            }
        }
        return merged
    }

    /// Set to collect where the time of each step goes.
    var profiler: Profiler?

    var exactOverflow: Bool { exact?.overflowed ?? false }

    /// The task counts of a step's fork–joins, in order (for the profiler's task log).
    var phaseTaskCounts: [Int] { phases.map(\.count) + applyPhases.reversed().map(\.count) }

    /// What the running step's tasks read: set by `step` before each phase, read by the workers
    /// (the pool's fork–join orders the two).
    struct Current {
        let p: StatePointers
        let batch: Network.Batch
        let update: OptimizerUpdate
        let tasks: [Task]
        /// The step's noise and its scale σ·C/|𝔹|, when the step adds noise.
        let noise: GaussianNoise?
        let noiseScale: Float
    }
    var current: Current?

    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float {
        precondition(batch.count <= capacity, "FusedStep: batch of \(batch.count), built for at most \(capacity)")
        if let exact { return exactStep(&state, batch: batch, update: update, exact: exact) }
        let phases = self.phases(rows: batch.count)
        let noise = privacy?.noise(step: state.step + 1), noiseScale = privacy?.noiseScale(batchSize: batchSize) ?? 0
        state.withPointers { p in
            // By index: a `for … in` over the array of arrays goes through the array's `read`
            // accessor, whose coroutine frame an unoptimised build allocates on the heap.
            for phase in phases.indices {
                let tasks = phases[phase]
                current = Current(p: p, batch: batch, update: update, tasks: tasks, noise: noise, noiseScale: noiseScale)
                if let profiler {
                    profiler.forkJoin(tasks: tasks.count) { pool.forEachTask(tasks.count, of: self) }
                } else {
                    pool.forEachTask(tasks.count, of: self)
                }
            }
            current = nil
        }
        return Self.meanLoss(workspace.losses, count: batch.count)
    }
}

extension FusedStep: WorkerTasks {
    func run(task index: Int, on worker: Worker) {
        let current = self.current.unsafelyUnwrapped, p = current.p, profiler = self.profiler
        let rowOffset = exact?.rows.lowerBound ?? 0
        let start = profiler == nil ? 0 : Clock.seconds()
        // What the task's (last part of its) time is charged to, and since when.
        var phase = Profiler.Phase.forward, mark = start
        switch current.tasks[index] {
        case let .input(rows):
            network.maskInputs(workspace, rows: rows, positionOffset: rowOffset, batch: current.batch)
        case let .forward(layer, rows, columns):
            network.forwardTile(workspace, layer: layer, rows: rows, columns: columns, positionOffset: rowOffset,
                                batch: current.batch, parameters: p.theta)
        case let .output(rows):
            network.output(workspace, rows: rows, positionOffset: rowOffset, batch: current.batch, parameters: p.theta)
        case let .delta(layer, rows, columns):
            network.backwardDeltaTile(workspace, layer: layer, rows: rows, columns: columns, parameters: p.theta,
                                      masks: current.batch.masks)
            phase = .backward
        case let .gradient(layer, outputs, inputs):
            // The tile, `outputs.count` rows of `inputs.count`, then the bias of its outputs.
            let tile = gradientTiles + worker.index * Self.tileStride, bias = tile + Self.tileOutputs * Self.tileInputs
            let weights = network.layout.layers[layer]
            /// Where the tile's part of output `o`'s row of weights starts in the parameters.
            func row(_ o: Int) -> Int { weights.weights.lowerBound + o * weights.inputs + inputs.lowerBound }
            // The update's first rows, which its prefetch (rows ahead) never asks for: asked for
            // now, they arrive while the product runs.
            for o in outputs.prefix(Self.prefetchRows) { p.prefetch(row(o), count: inputs.count) }
            network.gradient(workspace, layer: layer, rows: current.batch.count, outputs: outputs, inputs: inputs,
                             alpha: 1 / Float(batchSize), weights: tile, leading: inputs.count, bias: bias)
            if measuresStatistics {
                tileSquaredNorms[index] = Network.squaredNorm(tile, count: outputs.count * inputs.count)
                    + (inputs.lowerBound == 0 ? Network.squaredNorm(bias, count: outputs.count) : 0)
            }
            if let noise = current.noise {
                noise.addWeights(layer: layer, rows: outputs, columns: inputs, scale: current.noiseScale, into: tile,
                                 stride: inputs.count)
                if inputs.lowerBound == 0 { noise.addBiases(layer: layer, outputs: outputs, scale: current.noiseScale, into: bias) }
            }
            if let profiler {
                mark = Clock.seconds()
                profiler.add(.parameter, worker: worker.index, seconds: mark - start)
            }
            phase = .update
            // Not `outputs.enumerated()`: an unoptimised build allocates its iterator's witness.
            for o in outputs {
                let k = o - outputs.lowerBound, first = row(o)
                if o + Self.prefetchRows < outputs.upperBound { p.prefetch(row(o + Self.prefetchRows), count: inputs.count) }
                p.apply(current.update, first..<(first + inputs.count), gradient: tile + k * inputs.count)
            }
            if inputs.lowerBound == 0 {
                p.apply(current.update, (weights.bias.lowerBound + outputs.lowerBound)..<(weights.bias.lowerBound + outputs.upperBound),
                        gradient: bias)
            }
        case let .clip(rows):
            let clipNorm = privacy.map { Double($0.clipNorm) } ?? .infinity
            for r in rows {
                let norm = network.gradientNorm(workspace, row: r)
                sampleNorms[r] = Float(norm)
                network.scaleDeltas(workspace, row: r, by: PrivacyConfiguration.clipFactor(norm: norm, clipNorm: clipNorm))
            }
            phase = .backward
        case .bound, .exactTile, .apply:
            phase = runExact(task: index, current.tasks[index], p: p, update: current.update, noise: current.noise,
                             noiseScale: current.noiseScale, worker: worker)
        }
        profiler?.finish(task: index, start: start, phase: phase, since: mark, worker: worker.index)
    }
}
