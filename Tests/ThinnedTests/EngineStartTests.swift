import Testing
import Foundation
import CBLAS
import Parallel
@testable import Thinned

/// What a step engine sets up when it starts, whoever starts it (the CLI or a library user):
/// single-threaded BLAS, and a shared workspace first touched by the workers.
@Suite(.serialized) struct EngineStartTests {
    /// A library user who never called `BLAS.useSingleThread()` still gets one BLAS thread per
    /// worker once an engine starts (OpenBLAS starts with one thread per core).
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2), arguments: GradientMode.allCases)
    func engineMakesBLASSingleThreaded(mode: GradientMode) throws {
        openblas_set_num_threads(2)
        try #require(BLAS.threads == 2)
        let configuration = TrainingConfiguration(model: Fixture.model, batchSize: 16, epochs: 1, seed: 1,
                                                  gradientMode: mode, shardSize: 4)
        _ = try Trainer(configuration: configuration, data: Fixture.data, pool: try Fixture.pool(threads: 2, bind: .none))
        #expect(BLAS.threads == 1)
    }

    /// Minor page faults of the thread that calls it (field 10 of `/proc/thread-self/stat`).
    static func threadMinorFaults() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)
        // The command name (field 2) is in parentheses and may hold spaces: count after it.
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return Int(fields[7])!
    }

    /// The fused step's shared workspace (here 36 MB) is zeroed by the tasks, on whichever worker
    /// runs them, not by the calling thread beforehand: the pool's own thread (worker 1; worker 0
    /// is the caller) takes a real part of its page faults — none if the workspace had been
    /// zero-filled before the tasks — and every element of the inputs, deltas, outputs and losses
    /// is written.
    @Test func fusedWorkspaceIsFirstTouchedByTheWorkers() throws {
        let widths = [784, 2048, 2048, 10], rows = 1000
        let model = ModelConfiguration(layers: widths, dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let network = Network(model: model, seed: 1)
        let pool = try Fixture.pool(threads: 2, bind: .none)
        // A fixed mmap threshold (glibc's default, 128 KiB; M_MMAP_THRESHOLD is -3): each buffer
        // is then a fresh mapping, never memory some earlier test freed and already touched.
        _ = setMallocOption(-3, 128 * 1024)
        let floats = (widths.dropLast().reduce(0, +) + widths.dropFirst().reduce(0, +)) * rows
        let pages = floats * 4 / Int(sysconf(Int32(_SC_PAGESIZE)))
        func faults() -> [Int] { pool.map { _ in (try? Self.threadMinorFaults()) ?? 0 } }
        // A worker kept off its CPU for the whole pass (a loaded machine) leaves its share to the
        // caller: up to three tries, each with a fresh workspace.
        var step: FusedStep! = nil, workerFaults = 0
        for _ in 0..<3 {
            let before = faults()
            step = FusedStep(network: network, pool: pool, batchSize: rows, shardSize: 10)
            workerFaults = faults()[1] - before[1]
            if workerFaults >= pages / 10 { break }
        }
        #expect(workerFaults >= pages / 10,
                "worker 1 took \(workerFaults) page faults of ~\(pages) workspace pages: the workspace was touched before its tasks ran")
        // Fresh pages read as zero whether first touch wrote them or not: fill every buffer with
        // NaN and run first touch again, so that an element it skips is still NaN.
        let w = step.workspace
        let buffers = zip(w.inputs, widths.dropLast()).map { ($0, rows * $1) }
            + zip(w.deltas, widths.dropFirst().dropLast()).map { ($0, rows * $1) }
            + [(w.outputs, rows * widths[widths.count - 1]), (w.losses, rows)]
        for (buffer, count) in buffers { buffer.update(repeating: .nan, count: count) }
        step.firstTouch()
        for (index, (buffer, count)) in buffers.enumerated() {
            let missed = UnsafeBufferPointer(start: buffer, count: count).count(where: { $0 != 0 })
            #expect(missed == 0, "buffer \(index) (inputs, then deltas, then outputs and losses): \(missed) of \(count) elements not first-touched")
        }
    }
}

/// glibc's `mallopt`, which its module does not export to Swift.
@_silgen_name("mallopt") private func setMallocOption(_ parameter: Int32, _ value: Int32) -> Int32
