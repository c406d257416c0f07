import Parallel
import Testing
@testable import Thinned

/// The memory roof: the triad kernel, the bytes/flops model of a step and the two-roof
/// arithmetic, against numbers worked out by hand.
@Suite struct RoofTests {
    static let tolerance = 1e-9

    /// a = b + 3·c on a range that is not a multiple of the 16 lanes, and nothing outside it.
    @Test func triadComputesTheTriad() {
        let n = 37
        let b = (0..<n).map { Float($0) * 0.5 }, c = (0..<n).map { Float(n - $0) * 0.25 }
        var a = [Float](repeating: -1, count: n)
        a.withUnsafeMutableBufferPointer { a in
            MemoryBandwidth.triad(a: a.baseAddress!, b: b, c: c, scalar: 3, range: 3..<35)
        }
        for i in 0..<n {
            #expect(a[i] == ((3..<35).contains(i) ? b[i] + 3 * c[i] : -1), "element \(i)")
        }
    }

    /// Parts cover the arrays exactly once, in order, cut on whole 64-byte lines.
    @Test(arguments: [1, 2, 3, 7, 16])
    func partsCoverTheArrays(workers: Int) {
        for elements in [1, 15, 16, 17, 1000, 4096 + 5] {
            let parts = (0..<workers).map { MemoryBandwidth.part($0, of: workers, elements: elements) }
            #expect(parts.first!.lowerBound == 0 && parts.last!.upperBound == elements)
            for (left, right) in zip(parts, parts.dropFirst()) {
                #expect(left.upperBound == right.lowerBound)
                #expect(left.upperBound % 16 == 0 || left.upperBound == elements)
            }
        }
    }

    /// A small measurement on a real pool: the triad's values are checked inside (a wrong one
    /// stops the program), the figure is a rate of the bytes STREAM counts.
    @Test(arguments: [1, 2]) func measuresOnAPool(threads: Int) throws {
        let pool = try Fixture.pool(threads: threads, bind: .close)
        let measured = try #require(MemoryBandwidth.measure(on: pool, elements: 100_003, repetitions: 2))
        #expect(measured.workers == threads && measured.elements == 100_003 && measured.repetitions == 2)
        #expect(measured.bestSeconds > 0)
        #expect(abs(measured.gigabytesPerSecond - 12 * 100_003 / measured.bestSeconds / 1e9) < 1e-6 * measured.gigabytesPerSecond)
        #expect(MemoryBandwidth.arrayElements(lastLevelCacheBytes: 260 << 20) == 260 << 20)
        #expect(MemoryBandwidth.arrayElements(lastLevelCacheBytes: 1 << 20) == 16 << 20)
        #expect(MemoryBandwidth.arrayElements(lastLevelCacheBytes: nil) == 64 << 20)
        // Three arrays within a quarter of 1 GiB: 1 GiB / 12 bytes per array.
        #expect(MemoryBandwidth.arrayElements(lastLevelCacheBytes: 260 << 20, memoryBytes: 1 << 30) == (1 << 30) / 12 / 4)
    }

    /// The contention measurement runs on a real pool; one worker has none by definition.
    @Test(arguments: [1, 2]) func contentionOnAPool(threads: Int) throws {
        let pool = try Fixture.pool(threads: threads, bind: .close)
        let measured = CoreContention.measure(model: Fixture.model, batch: 8, pool: pool, passes: 2, rounds: 3)
        #expect(measured.workers == threads && measured.passes == 2)
        if threads == 1 {
            #expect(measured.slowdown == 1 && measured.rounds == 0)
        } else {
            #expect(measured.rounds == 3 && measured.aloneSeconds > 0 && measured.togetherSeconds > 0)
            #expect(measured.slowdown == measured.togetherSeconds / measured.aloneSeconds)
        }
    }

    /// Layers 4→3 and 3→2 at batch 5 with Adam, by hand:
    /// forward 2·5·(12 + 6) = 180 flops, 4·[(20 + 12 + 15) + (15 + 6 + 10)] = 312 bytes;
    /// backward (second layer only) 2·5·6 = 60 flops, 4·(10 + 6 + 15) = 124 bytes;
    /// parameter 180 flops, 4·[(15 + 20) + (10 + 15)] = 240 bytes;
    /// update 23 parameters × 24 bytes = 552, × 13 flops = 299.
    @Test func bytesAndFlopsOfASmallModel() {
        let model = ModelConfiguration(layers: [4, 3, 2], dropout: .inverted, inputDropRate: 0.2, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let phases = PhaseTraffic.model(model, batch: 5, optimizer: .adam)
        #expect(phases.map(\.phase) == [.forward, .backward, .parameter, .update])
        #expect(phases.map(\.flops) == [180, 60, 180, 299])
        #expect(phases.map(\.bytes) == [312, 124, 240, 552])
        #expect(abs(phases[0].intensity - 180.0 / 312) < Self.tolerance)
        // The products' flops are the model's training flops.
        #expect(phases[0].flops + phases[1].flops + phases[2].flops == model.trainingFlopsPerSample * 5)
        #expect(PhaseTraffic.model(model, batch: 5, optimizer: .sgd)[3].bytes == 23 * 8)
        #expect(PhaseTraffic.model(model, batch: 5, optimizer: .momentum)[3].bytes == 23 * 16)
    }

    /// Two workers of 10 GFLOP/s each and 4 GB/s: a phase of 100 flops/byte is bound by compute
    /// (20 < 400 GFLOP/s), one of 0.5 flop/byte by memory (2 GFLOP/s). Times are per step.
    @Test func phasesAgainstTheBindingRoof() {
        let traffic = [PhaseTraffic(phase: .forward, flops: 2e9, bytes: 2e7), PhaseTraffic(phase: .update, flops: 1e8, bytes: 2e8),
                       PhaseTraffic(phase: .backward, flops: 0, bytes: 0)]
        let bandwidth = MemoryBandwidth(workers: 2, elements: 1, repetitions: 1, bestSeconds: 3e-9, gigabytesPerSecond: 4)
        let roofs = PhaseRoofs.evaluate(batch: 100, bind: .close, threads: 2, seconds: [.forward: 0.125, .update: 0.1],
                                        traffic: traffic, gigaflopsPerCore: 10, bandwidth: bandwidth)
        #expect(roofs.computeGigaflopsPerSecond == 20 && roofs.bandwidthGigabytesPerSecond == 4)
        #expect(roofs.phases.map(\.phase) == [.forward, .update])   // no traffic, no row
        let forward = roofs.phases[0], update = roofs.phases[1]
        #expect(forward.binding == .compute && forward.attainableGigaflopsPerSecond == 20)
        #expect(forward.achievedGigaflopsPerSecond == 16 && forward.fraction == 0.8)
        #expect(update.binding == .memory && abs(update.attainableGigaflopsPerSecond - 2) < Self.tolerance)
        // 2e8 bytes in 0.1 s = 2 GB/s of 4: half the roof; at the roof it would take 0.05 s.
        #expect(abs(update.achievedGigabytesPerSecond! - 2) < Self.tolerance)
        #expect(abs(update.fraction! - 0.5) < Self.tolerance)
        #expect(abs(update.bandwidthSeconds! - 0.05) < Self.tolerance && abs(update.bandwidthRatio! - 2) < Self.tolerance)

        // No bandwidth: the compute roof binds, and there is no time at the memory roof.
        let blind = PhaseRoofs.evaluate(batch: 100, bind: .close, threads: 2, seconds: [:], traffic: traffic,
                                        gigaflopsPerCore: 10, bandwidth: nil)
        #expect(blind.bandwidthGigabytesPerSecond == nil && blind.phases.allSatisfy { $0.binding == .compute })
        #expect(blind.phases.allSatisfy { $0.fraction == nil && $0.bandwidthSeconds == nil })
    }
}
