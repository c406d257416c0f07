import Testing
@testable import Thinned

/// The work/span analysis on hand-made task lists whose schedules, bounds and fits are worked
/// out by hand.
@Suite struct WorkSpanTests {
    /// Sums of a few exactly representable times: only rounding of the last bit is allowed.
    static let tolerance = 1e-12

    /// [3, 3, 2, 2, 2] on 2 workers with shares [3, 3, 2] and [2, 2]: worker 0 runs 3 (→ 3) and
    /// 3 (→ 6); worker 1 runs its 2s (→ 2, → 4), then takes worker 0's last 2 (→ 6): 6. (One
    /// shared counter in index order gave 7: both 3s first, then the 2s.)
    @Test func listScheduleOfHandMadeTasks() {
        let tasks: [Double] = [3, 3, 2, 2, 2]
        #expect(ListSchedule.makespan(tasks, workers: 1) == 12)
        #expect(ListSchedule.makespan(tasks, workers: 2) == 6)
        // 3 workers, shares [3, 3], [2, 2], [2]: 3, 2, 2 at 0; at 2 worker 1 takes its second 2
        // (→ 4) and worker 2 takes worker 0's second 3 (→ 5).
        #expect(ListSchedule.makespan(tasks, workers: 3) == 5)
        #expect(ListSchedule.makespan(tasks, workers: 5) == 3)
        #expect(ListSchedule.makespan(tasks, workers: 64) == 3)
        // Shares [1, 1, 1] and [1, 4]: the 4 starts at 1 on worker 1 (→ 5) while worker 0 runs its 1s.
        #expect(ListSchedule.makespan([1, 1, 1, 1, 4] as [Double], workers: 2) == 5)
        // Shares [4, 1, 1] and [1, 1]: worker 1 runs its 1s, then worker 0's (→ 4).
        #expect(ListSchedule.makespan([4, 1, 1, 1, 1] as [Double], workers: 2) == 4)
        #expect(ListSchedule.makespan([] as [Double], workers: 4) == 0)
    }

    /// Graham's bounds hold for any list: max(Σ/P, max) ≤ makespan ≤ Σ/P + (1 − 1/P)·max.
    @Test(arguments: [1, 2, 3, 4, 7, 16])
    func listScheduleStaysWithinGrahamsBounds(workers: Int) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<50 {
            let count = Int(state % 40) + 1
            let tasks = (0..<count).map { _ -> Double in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 40 % 1000 + 1) / 1000
            }
            let sum = tasks.reduce(0, +), longest = tasks.max()!, p = Double(workers)
            let makespan = ListSchedule.makespan(tasks, workers: workers)
            #expect(makespan >= max(sum / p, longest) - Self.tolerance)
            #expect(makespan <= sum / p + (1 - 1 / p) * longest + Self.tolerance)
        }
    }

    /// One step of two phases, [3, 3, 2, 2, 2] and [4], fork–joins of 12.5 and 4.5 in a step of
    /// 20: serial 3, work 12 + 4 + 3 = 19, span 3 + 4 + 3 = 10, parallelism 1.9. With a flat join
    /// cost of 0.5 (one measured count): on 2 workers the replay is 6 + 4 + 3 + 2·0.5 = 14, the
    /// bounds max(9.5, 10) = 10 and 9.5 + 10 = 19.5 (20.5 burdened), efficiency 19 / 28.
    @Test func workSpanAndPredictionsOfAHandMadeStep() throws {
        let log = TaskLog(phaseTasks: [5, 1], taskSeconds: [3, 3, 2, 2, 2, 4], taskStartSeconds: [0, 0, 3, 3, 5, 0],
                          forkJoinSeconds: [12.5, 4.5], stepSeconds: [20])
        #expect(log.serialSeconds(step: 0) == 3)
        #expect(Array(log.durations(step: 0, phase: 1)) == [4])
        let joins = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0.5)])
        let w = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins,
                                              predict: [2, 4], measured: [(workers: 1, seconds: 20, log: log)]))
        #expect(w.joinsPerStep == 2 && w.tasksPerStep == 6 && w.steps == 1)
        #expect(w.workSeconds == 19 && w.spanSeconds == 10 && w.serialSeconds == 3 && w.taskSeconds == 16)
        #expect(abs(w.parallelism - 1.9) < Self.tolerance)
        #expect(w.burdenedSpanSeconds == 11)
        #expect(w.predictions.map(\.workers) == [1, 2, 4])

        let one = w.predictions[0]
        #expect(one.predictedSeconds == 16 + 3 + 1)
        #expect(one.measuredSeconds == 20 && one.error == 0 && one.measuredWorkSeconds == 19 && one.selfReplaySeconds == 20)
        #expect(one.joinMeasured)

        let two = w.predictions[1]
        #expect(two.predictedSeconds == 14)
        #expect(two.lowerBoundSeconds == 10 && two.upperBoundSeconds == 19.5 && two.burdenedUpperBoundSeconds == 20.5)
        #expect(abs(two.efficiency - 19.0 / 28) < Self.tolerance)
        #expect(two.measuredSeconds == nil && two.error == nil && !two.joinMeasured)
        // No contention measured: the contended replay is the replay.
        #expect(two.slowdown == 1 && !two.slowdownMeasured && two.contendedSeconds == 14)

        // 4 workers, shares [3, 3], [2], [2], [2]: 3, 2, 2, 2 at 0; at 2 worker 1 takes worker 0's
        // second 3 (→ 5); + 4 + 3 + 1 = 13.
        #expect(w.predictions[2].predictedSeconds == 13)

        #expect(w.forkJoins.map(\.tasks) == [5, 1] && w.forkJoins.map(\.workSeconds) == [12, 4])
        #expect(w.forkJoins.map(\.spanSeconds) == [3, 4] && w.forkJoins.map(\.wallSeconds) == [12.5, 4.5])
        // Uncovered: 12.5 − (7 − 0) and 4.5 − 4.
        #expect(w.forkJoins.map(\.overheadSeconds) == [5.5, 0.5] && log.overheadSeconds(step: 0, phase: 0) == 5.5)
    }

    /// The same step with workers that slow each other down: κ(2) = 1.2, κ(4) = 1.5. Contended
    /// replays: 2 workers 1.2·(6 + 4) + 3 + 1 = 16; 4 workers 1.5·(5 + 4) + 4 = 17.5; 8 workers,
    /// not measured, take κ(4): 1.5·(3 + 4) + 4 = 14.5. From a base of 2 workers, κ is relative
    /// to κ(2): 4 workers 1.5 / 1.2 = 1.25.
    @Test func contendedReplayStretchesTheTasks() throws {
        let log = TaskLog(phaseTasks: [5, 1], taskSeconds: [3, 3, 2, 2, 2, 4], taskStartSeconds: [0, 0, 3, 3, 5, 0],
                          forkJoinSeconds: [12.5, 4.5], stepSeconds: [20])
        let contention = [CoreContention(workers: 2, rounds: 1, passes: 1, aloneSeconds: 1, togetherSeconds: 1.2),
                          CoreContention(workers: 4, rounds: 1, passes: 1, aloneSeconds: 2, togetherSeconds: 3)]
        let joins = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0.5)])
        let w = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins,
                                              contention: contention, predict: [1, 2, 4, 8],
                                              measured: [(workers: 2, seconds: 17, log: log)]))
        let byWorkers = Dictionary(uniqueKeysWithValues: w.predictions.map { ($0.workers, $0) })
        #expect(byWorkers[1]!.slowdown == 1 && byWorkers[1]!.contendedSeconds == 20)
        #expect(abs(byWorkers[2]!.contendedSeconds - 16) < Self.tolerance && byWorkers[2]!.slowdownMeasured)
        #expect(abs(byWorkers[2]!.contendedError! - (-1.0 / 17)) < Self.tolerance)
        #expect(abs(byWorkers[2]!.error! - (14 - 17) / 17.0) < Self.tolerance)
        #expect(byWorkers[4]!.contendedSeconds == 17.5 && byWorkers[4]!.slowdown == 1.5)
        #expect(byWorkers[8]!.contendedSeconds == 14.5 && !byWorkers[8]!.slowdownMeasured)
        #expect(abs(byWorkers[2]!.contendedEfficiency - 19 / (2 * 16.0)) < Self.tolerance)

        let fromTwo = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 2, base: log, joinCost: joins,
                                                    contention: contention, predict: [4], measured: []))
        #expect(fromTwo.predictions.map(\.workers) == [4] && fromTwo.predictions[0].slowdown == 1.25)
    }

    /// The median is taken over steps: three steps whose one task takes 1, 5 and 2 give work 2.
    @Test func mediansAreOverSteps() throws {
        let log = TaskLog(phaseTasks: [1], taskSeconds: [1, 5, 2], taskStartSeconds: [0, 0, 0],
                          forkJoinSeconds: [1, 5, 2], stepSeconds: [1, 5, 2])
        let w = try #require(WorkSpan.analyze(batch: 1, bind: .none, baseWorkers: 1, base: log,
                                              joinCost: JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0)]), predict: [], measured: []))
        #expect(w.workSeconds == 2 && w.spanSeconds == 2 && w.parallelism == 1)
        #expect(w.predictions.isEmpty)

        // Typical span: each task's median over the steps, then the longest per phase.
        let stalls = TaskLog(phaseTasks: [2, 1], taskSeconds: [1, 9, 3, /**/ 1, 1, 3, /**/ 9, 1, 3],
                             taskStartSeconds: [0, 0, 0, 0, 0, 0, 0, 0, 0], forkJoinSeconds: [10, 3, 2, 3, 10, 3],
                             stepSeconds: [13, 5, 13])
        let typical = try #require(WorkSpan.analyze(batch: 1, bind: .none, baseWorkers: 1, base: stalls,
                                                    joinCost: JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0)]),
                                                    predict: [], measured: []))
        // Per step the longest of phase 0 is 9, 1, 9: span median 9 + 3. Per task, medians 1 and 1: 1 + 3.
        #expect(typical.spanSeconds == 12 && typical.typicalSpanSeconds == 4)
        #expect(typical.typicalParallelism == typical.workSeconds / 4)

        var twice = log
        twice.append(log)
        #expect(twice.steps == 6 && twice.taskSeconds == [1, 5, 2, 1, 5, 2])
    }

    /// On a step of many phases the replay, less its join burden, lies within the greedy bounds
    /// (list scheduling may get slower with more workers — Graham's anomalies — so nothing more
    /// is asked).
    @Test func replayLiesWithinTheGreedyBounds() throws {
        let phaseTasks = [10, 16, 16, 3, 40, 1]
        var state: UInt64 = 42
        let tasks = (0..<phaseTasks.reduce(0, +)).map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 44 % 500 + 10) * 1e-6
        }
        let log = TaskLog(phaseTasks: phaseTasks, taskSeconds: tasks, taskStartSeconds: tasks.map { _ in 0 },
                          forkJoinSeconds: Array(repeating: 1e-3, count: 6), stepSeconds: [7e-3])
        let joins = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 1e-6), .init(workers: 2, taskSeconds: 0, seconds: 2e-6)])
        let w = try #require(WorkSpan.analyze(batch: 1, bind: .none, baseWorkers: 1, base: log, joinCost: joins,
                                              predict: [1, 2, 3, 4, 8, 16, 32, 64], measured: []))
        #expect(w.workSeconds >= w.spanSeconds && w.spanSeconds > 0)
        for p in w.predictions {
            let burden = Double(w.joinsPerStep) * p.joinSeconds
            #expect(p.predictedSeconds - burden >= p.lowerBoundSeconds - Self.tolerance, "P = \(p.workers)")
            #expect(p.predictedSeconds <= p.burdenedUpperBoundSeconds + Self.tolerance, "P = \(p.workers)")
            #expect(p.efficiency > 0 && p.efficiency <= 1 + Self.tolerance)
        }
    }

    /// c(P) = 1 + 0.5·log₂P µs through exact points; measured counts keep their measurement.
    @Test func joinCostFitsALogarithm() {
        let exact = JoinCost(points: [4, 1, 2].map {
            JoinCost.Point(workers: $0, taskSeconds: 0, seconds: (1 + 0.5 * [1: 0.0, 2: 1, 4: 2][$0]!) * 1e-6)
        })
        #expect(exact.fits.count == 1)
        #expect(abs(exact.fits[0].interceptSeconds - 1e-6) < 1e-18 && abs(exact.fits[0].secondsPerDoubling - 0.5e-6) < 1e-18)
        #expect(abs(exact.seconds(workers: 16) - 3e-6) < 1e-18)
        #expect(abs(exact.seconds(workers: 64) - 4e-6) < 1e-18)
        // One task length: the same cost for phases of any length.
        #expect(abs(exact.seconds(workers: 64, phaseSeconds: 1) - 4e-6) < 1e-18)
        #expect(exact.points.map(\.workers) == [1, 2, 4] && !exact.isFlat)
        #expect(exact.isMeasured(workers: 2) && !exact.isMeasured(workers: 8))

        // Off the curve, by hand: x = log₂P = 0, 1, 2; y = 1, 2, 2.5; b = Sxy/Sxx = 1.5/2, a = ȳ − b·x̄.
        let noisy = JoinCost(emptyForkJoins: [(1, 1), (2, 2), (4, 2.5)])
        #expect(abs(noisy.fits[0].secondsPerDoubling - 0.75) < Self.tolerance)
        #expect(abs(noisy.fits[0].interceptSeconds - (5.5 / 3 - 0.75)) < Self.tolerance)
        #expect(noisy.seconds(workers: 2) == 2)   // measured, not fitted
        #expect(abs(noisy.seconds(workers: 8) - (5.5 / 3 - 0.75 + 0.75 * 3)) < Self.tolerance)

        // One point, or a cost that falls with more workers: flat.
        let single = JoinCost(emptyForkJoins: [(2, 3)])
        #expect(single.isFlat && single.seconds(workers: 64) == 3)
        let falling = JoinCost(emptyForkJoins: [(1, 3), (2, 2)])
        #expect(falling.isFlat && falling.seconds(workers: 32) == 2.5 && falling.seconds(workers: 1) == 3)
    }

    /// Costs measured at task lengths 0 and 100 (1 worker: 1 and 41; 2 workers: 2 and 3): a phase
    /// of 25 pays a quarter of the way, one beyond the grid the last length's cost; 4 workers
    /// take each length's own fit (0: 1 + 1·log₂P; 100: 41 − 38·log₂P is falling, so flat at 22).
    @Test func joinCostDependsOnThePhaseLength() {
        let cost = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 1), .init(workers: 1, taskSeconds: 100, seconds: 41),
                                     .init(workers: 2, taskSeconds: 0, seconds: 2), .init(workers: 2, taskSeconds: 100, seconds: 3)])
        #expect(cost.fits.map(\.taskSeconds) == [0, 100])
        #expect(cost.seconds(workers: 1, phaseSeconds: 0) == 1 && cost.seconds(workers: 1, phaseSeconds: 100) == 41)
        #expect(cost.seconds(workers: 1, phaseSeconds: 25) == 11)
        #expect(cost.seconds(workers: 1, phaseSeconds: 1000) == 41)
        #expect(cost.seconds(workers: 2, phaseSeconds: 50) == 2.5)
        #expect(cost.seconds(workers: 4, phaseSeconds: 0) == 3)
        #expect(cost.seconds(workers: 4, phaseSeconds: 100) == 22)
        #expect(cost.seconds(workers: 4, phaseSeconds: 50) == 12.5)
        #expect(!cost.isFlat)
    }

    /// The replay charges each phase the join cost of its own length: tasks [3, 3, 2, 2, 2] and
    /// [4] with c = 0 for a phase of length 0 rising to 1 for length 10. On 2 workers the phases
    /// last 6 and 4: 0.6 + 0.4 = 1 on top of 6 + 4 + 3 serial.
    @Test func replayChargesEachPhaseByItsLength() throws {
        let log = TaskLog(phaseTasks: [5, 1], taskSeconds: [3, 3, 2, 2, 2, 4], taskStartSeconds: [0, 0, 3, 3, 5, 0],
                          forkJoinSeconds: [12.5, 4.5], stepSeconds: [20])
        let joins = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0), .init(workers: 1, taskSeconds: 10, seconds: 1)])
        let w = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins,
                                              predict: [2], measured: []))
        let two = try #require(w.predictions.first { $0.workers == 2 })
        #expect(abs(two.predictedSeconds - 14) < Self.tolerance)
        #expect(abs(two.joinSeconds - 0.5) < Self.tolerance)
        #expect(abs(two.burdenedUpperBoundSeconds - (9.5 + 10 + 1)) < Self.tolerance)
        // Burdened span on 1 worker: the longest tasks 3 and 4 cost 0.3 + 0.4.
        #expect(abs(w.burdenedSpanSeconds - 10.7) < Self.tolerance)
    }

    /// A probe over a scripted clock (nanoseconds): gaps of 30 and then 10 µs are stalls (the
    /// longest is the first), a reading that steps back counts no gap, gaps of exactly the 5 µs
    /// threshold are not stalls, and the probe stops at the first reading 50 µs past its start
    /// (50.2 µs probed). Combined with another worker's probe, the counts and times add up and
    /// the longest stall is the longer of the two.
    @Test func hostStallsOfAScriptedClock() {
        let readings: [UInt64] = [1_000, 1_100, 31_100, 31_200, 41_200, 41_100, 46_200, 51_200, 99_000]
        var next = 0
        let stalls = HostStalls.probe(seconds: 50e-6, thresholdSeconds: 5e-6) {
            defer { next += 1 }
            return readings[next]
        }
        #expect(next == 8, "read up to 51 200, not past it")
        #expect(stalls.workers == 1 && stalls.count == 2)
        #expect(abs(stalls.probedSeconds - 50.2e-6) < Self.tolerance)
        #expect(abs(stalls.stalledSeconds - 40e-6) < Self.tolerance && abs(stalls.longestSeconds - 30e-6) < Self.tolerance)
        #expect(abs(stalls.meanSeconds - 20e-6) < Self.tolerance)
        #expect(abs(stalls.perSecond - 2 / 50.2e-6) < 1e-6 && abs(stalls.fraction - 40 / 50.2) < Self.tolerance)
        let other = HostStalls(workers: 1, probedSeconds: 100e-6, thresholdSeconds: 5e-6, count: 1, stalledSeconds: 50e-6,
                               longestSeconds: 50e-6)
        let both = HostStalls.combined([stalls, other])
        #expect(both.workers == 2 && both.count == 3 && both.longestSeconds == 50e-6)
        #expect(abs(both.probedSeconds - 150.2e-6) < Self.tolerance && abs(both.stalledSeconds - 90e-6) < Self.tolerance)
        #expect(abs(both.perSecond - 3 / 150.2e-6) < 1e-6 && abs(both.fraction - 90 / 150.2) < Self.tolerance)
        let perStep = both.expected(in: 1e-3)
        #expect(abs(perStep.count - 3 / 150.2e-3) < 1e-9 && abs(perStep.seconds - 90 / 150.2 * 1e-3) < Self.tolerance)
    }

    /// The analysis carries the base pool's stalls and charges them to its work T₁: 19 s of
    /// work at 1 % of the time stalled is 0.19 s a step.
    @Test func workSpanChargesTheHostStallsToTheWork() throws {
        let log = TaskLog(phaseTasks: [5, 1], taskSeconds: [3, 3, 2, 2, 2, 4], taskStartSeconds: [0, 0, 3, 3, 5, 0],
                          forkJoinSeconds: [12.5, 4.5], stepSeconds: [20])
        let joins = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0.5)])
        let stalls = HostStalls(workers: 1, probedSeconds: 2, thresholdSeconds: 5e-6, count: 100, stalledSeconds: 0.02,
                                longestSeconds: 1e-3)
        let w = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins, predict: [],
                                              measured: [], hostStalls: stalls))
        #expect(w.hostStalls == stalls)
        #expect(abs(try #require(w.stallSecondsPerStep) - 0.19) < Self.tolerance)
        let without = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins,
                                                    predict: [], measured: []))
        #expect(without.hostStalls == nil && without.stallSecondsPerStep == nil)
    }
}
