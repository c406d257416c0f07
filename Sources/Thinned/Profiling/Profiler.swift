import Parallel

/// Collects a `StepProfile` while steps run: one slot per worker and phase, each written only by
/// its worker, read by the caller after the join.
///
/// Given the step's phase layout and a number of steps, it also records a `TaskLog`: every task's
/// start and duration and every fork–join's wall time, into slots allocated here, before the
/// steps — the steady state allocates nothing. Fork–join `j` of the run is phase `j mod phases`
/// of step `j / phases`; its task `i` writes only slot `i` of that phase, so each slot has one
/// writer (the worker that claimed the task), and the caller reads them after the joins.
final class Profiler {
    enum Phase: Int, CaseIterable { case forward, backward, parameter, update }
    /// Each worker's slots (one per phase) start a cache line (8 Doubles) after the last
    /// worker's: slots of two workers on one line would bounce it between their cores at every
    /// task's end.
    static let workerStride = 8

    let workers: Int
    private let busy: UnsafeMutablePointer<Double>
    private var forkJoinSeconds = 0.0
    private var forkJoins = 0

    /// The step's fork–joins and their task counts; empty when no task log is kept.
    let phaseTasks: [Int]
    /// The steps the task log has room for.
    let loggedSteps: Int
    private let tasksPerStep: Int
    private let taskOffsets: [Int]
    /// `[loggedSteps, tasksPerStep]` durations and starts, `[loggedSteps, phases]` fork–join times.
    private let taskSeconds, taskStarts, forkJoinWalls: UnsafeMutableBufferPointer<Double>
    /// The running fork–join's first slot, or -1 when it is not logged; its start on the clock.
    /// Written by the caller before the fork, read by the workers inside it.
    private var slotBase = -1
    private var forkStart = 0.0

    /// A profiler for a pool of `workers`; with `phaseTasks` (the step's fork–joins' task counts)
    /// and `steps` > 0, it also logs the tasks of the first `steps` steps.
    init(workers: Int, phaseTasks: [Int] = [], steps: Int = 0) {
        precondition(steps >= 0 && phaseTasks.allSatisfy { $0 >= 0 }, "Profiler: \(steps) steps of \(phaseTasks)")
        precondition(Phase.allCases.count <= Self.workerStride, "Profiler: more phases than a worker's slots")
        self.workers = workers
        let bytes = workers * Self.workerStride * MemoryLayout<Double>.stride
        busy = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Double.self, capacity: bytes / 8)
        busy.initialize(repeating: 0, count: workers * Self.workerStride)
        self.phaseTasks = phaseTasks
        self.loggedSteps = phaseTasks.isEmpty ? 0 : steps
        var offsets: [Int] = [], sum = 0
        for count in phaseTasks {
            offsets.append(sum)
            sum += count
        }
        self.taskOffsets = offsets
        self.tasksPerStep = sum
        taskSeconds = .allocate(capacity: loggedSteps * sum)
        taskSeconds.initialize(repeating: 0)
        taskStarts = .allocate(capacity: loggedSteps * sum)
        taskStarts.initialize(repeating: 0)
        forkJoinWalls = .allocate(capacity: loggedSteps * phaseTasks.count)
        forkJoinWalls.initialize(repeating: 0)
    }

    deinit {
        busy.deallocate()
        taskSeconds.deallocate()
        taskStarts.deallocate()
        forkJoinWalls.deallocate()
    }

    /// Adds `seconds` of busy time in `phase` to `worker`'s slot. Called on that worker.
    func add(_ phase: Phase, worker: Int, seconds: Double) {
        busy[worker * Self.workerStride + phase.rawValue] += seconds
    }

    /// Ends task `task` of the running fork–join, begun at `start` on `worker`: one reading of the
    /// clock charges the time since `mark` (`start`, or where the task's last part began) to
    /// `phase` and logs the task. One reading, not one for each: a reading took 25–43 ns on the
    /// development VM, and a step at batch 100 runs 914 tasks.
    func finish(task: Int, start: Double, phase: Phase, since mark: Double, worker: Int) {
        let end = Clock.seconds()
        add(phase, worker: worker, seconds: end - mark)
        log(task: task, start: start, end: end)
    }

    /// Logs task `task` of the running fork–join, which ran from `start` to `end` (`Clock.seconds()`).
    /// Called on the worker that ran it.
    func log(task: Int, start: Double, end: Double) {
        let base = slotBase
        guard base >= 0 else { return }
        taskSeconds[base + task] = end - start
        taskStarts[base + task] = start - forkStart
    }

    /// Runs `body`, timed, as one fork–join of `tasks` tasks. Called on the calling thread.
    func forkJoin(tasks: Int, _ body: () -> Void) {
        let logged = forkJoins < loggedSteps * phaseTasks.count
        let phase = logged ? forkJoins % phaseTasks.count : 0
        if logged {
            precondition(tasks == phaseTasks[phase],
                         "Profiler: fork–join \(forkJoins) has \(tasks) tasks, the step's layout says \(phaseTasks[phase])")
            slotBase = forkJoins / phaseTasks.count * tasksPerStep + taskOffsets[phase]
        }
        let start = Clock.seconds()
        forkStart = start
        body()
        let wall = Clock.seconds() - start
        slotBase = -1
        if logged { forkJoinWalls[forkJoins] = wall }
        forkJoinSeconds += wall
        forkJoins += 1
    }

    func reset() {
        busy.update(repeating: 0, count: workers * Self.workerStride)
        forkJoinSeconds = 0
        forkJoins = 0
    }

    /// The totals so far, for `steps` steps that took `wallSeconds`.
    func profile(steps: Int, wallSeconds: Double) -> StepProfile {
        var profile = StepProfile(workers: workers)
        func total(_ phase: Phase) -> Double {
            (0..<workers).reduce(0) { $0 + busy[$1 * Self.workerStride + phase.rawValue] }
        }
        profile.steps = steps
        profile.wallSeconds = wallSeconds
        profile.forkJoinSeconds = forkJoinSeconds
        profile.forkJoins = forkJoins
        profile.forwardSeconds = total(.forward)
        profile.backwardSeconds = total(.backward)
        profile.parameterSeconds = total(.parameter)
        profile.updateSeconds = total(.update)
        return profile
    }

    /// The task log of the steps whose wall times are `stepSeconds` (at most `loggedSteps`, all
    /// of whose fork–joins have run).
    func taskLog(stepSeconds: [Double]) -> TaskLog {
        let steps = min(stepSeconds.count, loggedSteps, phaseTasks.isEmpty ? 0 : forkJoins / phaseTasks.count)
        return TaskLog(phaseTasks: phaseTasks, taskSeconds: Array(taskSeconds[0..<(steps * tasksPerStep)]),
                       taskStartSeconds: Array(taskStarts[0..<(steps * tasksPerStep)]),
                       forkJoinSeconds: Array(forkJoinWalls[0..<(steps * phaseTasks.count)]),
                       stepSeconds: Array(stepSeconds.prefix(steps)))
    }
}
