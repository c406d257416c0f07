import Parallel
import Testing
@testable import Thinned

/// The task log that `Trainer.profile` records, on both steps: one slot per task of every
/// fork–join, laid out as the engine's phases say, filled by the steps.
@Suite(.serialized) struct TaskLogTests {
    /// Each kind of task charges its time to its own phase: the forward tiles (or a sample's
    /// forward pass) to forward, the deltas to backward, the weight-gradient products (or the
    /// literal step's sum) to parameter, the optimizer's update to update — none left empty.
    @Test(arguments: [GradientMode.fused, .literal])
    func everyPhaseIsCharged(mode: GradientMode) throws {
        let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .adam), batchSize: 20,
                                                  epochs: 1, seed: 5, gradientMode: mode, shardSize: 4)
        let trainer = try Trainer(configuration: configuration, data: Fixture.data, pool: Fixture.pool(threads: 2, bind: .close))
        let order = EpochOrder(count: Fixture.data.train.count, batchSize: 20, epoch: 0, seed: 5)
        let profile = trainer.profile(steps: 3, batches: order).profile
        #expect(profile.forwardSeconds > 0 && profile.backwardSeconds > 0)
        #expect(profile.parameterSeconds > 0 && profile.updateSeconds > 0)
    }

    @Test(arguments: [GradientMode.fused, .literal], [1, 2])
    func profiledStepsLogEveryTask(mode: GradientMode, threads: Int) throws {
        let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .sgd), batchSize: 20,
                                                  epochs: 1, seed: 5, gradientMode: mode, shardSize: 4)
        let trainer = try Trainer(configuration: configuration, data: Fixture.data, pool: Fixture.pool(threads: threads, bind: .close))
        let order = EpochOrder(count: Fixture.data.train.count, batchSize: 20, epoch: 0, seed: 5)
        let measured = trainer.profile(steps: 3, batches: order)
        let log = measured.tasks
        #expect(log.steps == 3 && log.stepSeconds == measured.stepSeconds)
        #expect(log.phaseTasks == trainer.engine.phaseTaskCounts && !log.phaseTasks.isEmpty)
        #expect(log.taskSeconds.count == 3 * log.tasksPerStep && log.forkJoinSeconds.count == 3 * log.phaseTasks.count)
        // Every fork–join the step ran was logged: as many as the profile counted.
        #expect(measured.profile.forkJoins == 3 * log.phaseTasks.count)
        #expect(log.taskSeconds.allSatisfy { $0 > 0 }, "a task slot was not written")
        #expect(log.taskStartSeconds.allSatisfy { $0 >= 0 })
        for s in 0..<3 {
            for k in log.phaseTasks.indices where log.phaseTasks[k] > 0 {
                // One worker runs a phase's tasks one after another inside its fork–join.
                let tasks = log.durations(step: s, phase: k)
                let wall = log.forkJoinSeconds[s * log.phaseTasks.count + k]
                #expect(tasks.max()! <= wall)
                if threads == 1 { #expect(tasks.reduce(0, +) <= wall) }
            }
            #expect(log.serialSeconds(step: s) >= 0 && log.serialSeconds(step: s) < log.stepSeconds[s])
        }
        let w = try #require(WorkSpan.analyze(batch: 20, bind: .close, baseWorkers: threads, base: log,
                                              joinCost: JoinCost(points: [.init(workers: threads, taskSeconds: 0, seconds: 1e-6)]),
                                              predict: [4], measured: []))
        #expect(w.workSeconds >= w.spanSeconds && w.spanSeconds > 0)
        #expect(abs(w.parallelism - w.workSeconds / w.spanSeconds) < 1e-12)
    }

    /// The join cost measurement: one point per task length, on every pool.
    @Test(arguments: [1, 2]) func joinCostIsMeasuredAtEveryTaskLength(threads: Int) throws {
        let pool = try Fixture.pool(threads: threads, bind: .close)
        let points = JoinCost.measure(on: pool, taskLengths: [0, 50e-6], repetitions: 50)
        #expect(points.map(\.taskSeconds) == [0, 50e-6] && points.allSatisfy { $0.workers == threads && $0.seconds >= 0 })
        let cost = JoinCost(points: points)
        #expect(cost.isMeasured(workers: threads) && cost.fits.count == 2)
    }

    /// The literal step's layout: clear, then (samples, sum) per window of 8, then update.
    @Test func literalPhasesFollowTheWindows() throws {
        let configuration = TrainingConfiguration(model: Fixture.model, optimizer: .init(kind: .sgd), batchSize: 20,
                                                  epochs: 1, seed: 5, gradientMode: .literal)
        let trainer = try Trainer(configuration: configuration, data: Fixture.data, pool: Fixture.pool(threads: 1, bind: .none))
        // 7·6 + 6 + 6·5 + 5 + 5·4 + 4 = 107 parameters: one chunk.
        #expect(trainer.engine.phaseTaskCounts == [1, 8, 1, 8, 1, 4, 1, 1])
    }
}
