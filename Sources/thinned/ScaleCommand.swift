import ArgumentParser
import CAllocationCounter
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Parallel
import Thinned

/// `thinned scale`: profiles a training step per core count and placement, against the roofline,
/// and proves every configuration computes the same weights.
struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Profile how a training step scales per core count: step times, phases, roofline, Amdahl fit, digests.",
        discussion: """
            Also measures the memory bandwidth (a STREAM triad) on every pool and puts each phase of the step \
            against the compute and memory roofs, and records every task and join to report work, span, \
            parallelism and predicted step times for the --predict worker counts (and the measured ones). \
            Writes scale.csv, scale-predictions.csv, scale.json and scale.svg into --out. Exits non-zero if any \
            configuration's weights differ from the others' of the same batch size.
            """
    )

    @Option(help: "Worker counts to measure, comma-separated (default: 1, 2, 4, … up to the usable cores, plus that maximum).")
    var threads: ListOption<Int>?

    @Option(help: "Placements to measure, comma-separated: close (compact), spread (scatter), none.")
    var bind = ListOption<BindPolicy>([.close])

    @Option(help: ArgumentHelp("Executors to measure, comma-separated: pool (our pinned worker pool) or dispatch (GCD's DispatchQueue.concurrentPerform, same tasks, unpinned: --bind applies to pool rows only, dispatch rows run once per worker count and say bind none).", valueName: "pool|dispatch"))
    var executor = ListOption<ExecutorKind>([.pool])

    @Option(help: "What one worker is bound to: cores or threads.")
    var places: PlaceKind = .cores

    @Option(help: "Batch sizes to measure, comma-separated.")
    var batch = ListOption<Int>([100, 1000])

    @Option(help: "Timed steps per repetition.")
    var steps: Int = 20

    @Option(help: "Untimed steps before timing each configuration.")
    var warmup: Int = 3

    @Option(help: "Repetitions of the timed steps (the median is over all timed steps).")
    var `repeat`: Int = 3

    @Option(help: ArgumentHelp("A folder with the four IDX files, or 'synthetic' (the data does not change the arithmetic).", valueName: "dir"))
    var data: String = "synthetic"

    @Option(help: ArgumentHelp("Folder for scale.csv, scale-predictions.csv, scale.json and scale.svg (created if missing).", valueName: "dir"))
    var out: String = "scale-report"

    @Flag(help: "Allow more workers than places.")
    var oversubscribe = false

    @Option(help: ArgumentHelp("Worker counts to predict the step for from the measured tasks (work/span and a list-scheduling replay), comma-separated; the measured counts are always predicted too.", valueName: "counts"))
    var predict: ListOption<Int>?

    @Option(help: ArgumentHelp("MiB per array of the STREAM triad that measures the memory bandwidth (default: 4 × the last-level caches, at least 64).", valueName: "MiB"))
    var streamArrayMib: Int?

    @OptionGroup(title: "Model and training") var training: TrainOptions

    func run() throws {
        let machine = Topology.load()
        let topology = try? machine.get()
        let usable = topology?.places(places).count ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        let counts = threads?.values ?? Self.defaultThreads(usable: usable)
        var base = try training.configuration(batch: batch.values.first ?? 100, epochs: 1, defaultOptimizer: .sgd)
        let communicator = try Launch.communicator()
        // Several processes sum exactly (the default under a launcher, as for train).
        if communicator.size > 1, training.reduce == nil, base.exactGroupSize == nil { base.exactGroupSize = base.groupSizeOrDefault }
        var study = ScaleStudy(training: base, threads: counts, binds: bind.values, places: places, batches: batch.values,
                               warmupSteps: warmup, steps: steps, repeats: `repeat`, oversubscribe: oversubscribe,
                               executors: executor.values)
        study.predict = predict?.values ?? []
        study.groupSizeFollowsBatch = training.groupSize == nil
        study.streamArrayElements = streamArrayMib.map { ($0 << 20) / MemoryLayout<Float>.stride }
        do {
            try study.validate(usableThreads: usable)
        } catch {
            throw ValidationError(error.description)
        }
        // Data from files do not depend on the batch: read (files, shapes, labels checked) once,
        // before anything is measured or written, so that data that cannot serve fail at once
        // with `train`'s error, not minutes into the run after the roofs.
        let model = base.model
        let loaded = data == "synthetic" ? nil : try DataOptions.load(data, limit: nil, features: model.inputs,
                                                                      classes: model.classes, seed: base.seed)
        let split = { (batch: Int) throws -> DataSplit in
            try loaded ?? DataOptions.load("synthetic", limit: nil, features: model.inputs, classes: model.classes, seed: base.seed,
                                           syntheticTrainCount: max(4 * batch, 1000))
        }
        BLASCheck.warnIfGeneric()
        if communicator.size > 1 {
            if var privacy = base.privacy {
                // One noise for all ranks: rank 0's key.
                withUnsafeMutableBytes(of: &privacy.noiseSeed) { communicator.broadcast($0) }
                base.privacy = privacy
            }
            try runRanks(communicator: communicator, topology: machine, counts: counts, base: base, split: split)
            return
        }
        // The largest pool is checked now, not after the smaller ones have been measured.
        if let largest = counts.max() { try BLAS.requireCapacity(toStart: largest) }
        let folder = try OutputFolder(path: out)
        var header = ScaleHeader.measure(topology: topology, study: study)
        let table = ScaleTable()
        print(header.text)
        print(table.bandwidthMethod(elements: study.bandwidthArrayElements(topology: topology), repetitions: study.bandwidthRepetitions))
        if executor.values.contains(.dispatch) {
            print("dispatch rows: the same tasks on GCD's threads (DispatchQueue.concurrentPerform), unpinned; --bind applies to pool rows only;"
                  + " the roofs and the work/span prediction are the pool's")
        }
        let report = try study.run(
            topology: machine,
            data: split,
            allocationCount: { thinned_allocation_count() },
            onRoofline: { print(table.roofline($0)); print(table.heading); fflush(nil) },
            onRow: { print(table.line($0)); fflush(nil) },
            onPhaseRoofs: { print(table.roofs($0)); fflush(nil) },
            onWorkSpan: { print(table.workSpan($0)); fflush(nil) })
        header.finish()
        print(table.summary(report))
        if let warning = header.warning { StandardError.warn(warning) }
        try folder.write("scale.csv", ScaleFiles.csv(report))
        try folder.write("scale-predictions.csv", ScaleFiles.predictionsCSV(report))
        try folder.write("scale.json", ScaleFiles.json(report, header: header))
        try folder.write("scale.svg", ScalePlot.svg(report))
        print("wrote \(folder.path)/scale.csv, scale-predictions.csv, scale.json, scale.svg")
        if !report.identical { throw ExitCode.failure }
    }

    /// 1, 2, 4, … below the usable count, plus the usable count.
    static func defaultThreads(usable: Int) -> [Int] {
        var counts: [Int] = []
        var p = 1
        while p < usable { counts.append(p); p *= 2 }
        return counts + [usable]
    }

    /// Validates early: the lists and counts of the options, before anything runs (`--data` is read
    /// early in `run`, before anything is measured or printed).
    func validate() throws {
        if let delta = training.delta {
            throw ValidationError("--delta \(delta): scale times steps and reports no ε")
        }
        if training.sampling == .poisson {
            throw ValidationError("--sampling poisson: scale times fixed-size batches (shuffle), whose work is the same every step")
        }
        // Every check of the lists and counts that needs no machine: usage errors, before anything runs.
        // Without --threads the counts come from the machine in `run`; [1] stands for them here.
        do {
            try ScaleStudy.validate(threads: threads?.values ?? [1], batches: batch.values, binds: bind.values,
                                    executors: executor.values, steps: steps, warmupSteps: warmup, repeats: `repeat`,
                                    predict: predict?.values ?? [])
        } catch {
            throw ValidationError(error.description)
        }
        if let streamArrayMib, !(1...(1 << 20)).contains(streamArrayMib) {
            throw ValidationError("--stream-array-mib \(streamArrayMib): expected 1 to 1048576 MiB per array")
        }
    }
}
