/// Every task's duration and every fork–join's wall time of a number of measured training steps:
/// what the work/span analysis (`WorkSpan`) replays.
///
/// A step is a fixed sequence of fork–joins (*phases*), phase `k` of `phaseTasks[k]` tasks; the
/// sequence is the same for every step of a run (it depends on the batch size and the layer
/// widths only). Times are in seconds, flat, step-major: the durations of step `s`, phase `k`
/// are `taskSeconds[s · tasksPerStep + taskOffsets[k] ..< … + phaseTasks[k]]`, in task index order.
public struct TaskLog: Sendable, Equatable {
    /// The number of tasks of each fork–join of a step, in the order they run.
    public let phaseTasks: [Int]
    /// Where each phase's tasks start within a step's slots: the running sum of `phaseTasks`.
    public let taskOffsets: [Int]
    /// The tasks of one step: the sum of `phaseTasks`.
    public let tasksPerStep: Int
    /// The number of steps recorded.
    public private(set) var steps: Int
    /// Each task's duration, as the worker that ran it measured it, step-major.
    public private(set) var taskSeconds: [Double]
    /// Each task's start, measured from the start of its fork–join on the calling thread: how
    /// late the task began (wake-up, claiming, the tasks before it on the same worker).
    public private(set) var taskStartSeconds: [Double]
    /// Each fork–join's wall time on the calling thread, `[steps, phases]`.
    public private(set) var forkJoinSeconds: [Double]
    /// Each step's wall time on the calling thread.
    public private(set) var stepSeconds: [Double]

    /// A log of `steps` steps of this phase layout, every time given (flat, step-major).
    public init(phaseTasks: [Int], taskSeconds: [Double], taskStartSeconds: [Double], forkJoinSeconds: [Double],
                stepSeconds: [Double]) {
        let tasksPerStep = phaseTasks.reduce(0, +)
        precondition(phaseTasks.allSatisfy { $0 >= 0 }, "TaskLog: negative task count in \(phaseTasks)")
        precondition(taskSeconds.count == stepSeconds.count * tasksPerStep && taskStartSeconds.count == taskSeconds.count,
                     "TaskLog: \(taskSeconds.count) task times for \(stepSeconds.count) steps of \(tasksPerStep) tasks")
        precondition(forkJoinSeconds.count == stepSeconds.count * phaseTasks.count,
                     "TaskLog: \(forkJoinSeconds.count) fork–join times for \(stepSeconds.count) steps of \(phaseTasks.count) phases")
        self.phaseTasks = phaseTasks
        var offsets: [Int] = [], sum = 0
        for count in phaseTasks {
            offsets.append(sum)
            sum += count
        }
        self.taskOffsets = offsets
        self.tasksPerStep = tasksPerStep
        self.steps = stepSeconds.count
        self.taskSeconds = taskSeconds
        self.taskStartSeconds = taskStartSeconds
        self.forkJoinSeconds = forkJoinSeconds
        self.stepSeconds = stepSeconds
    }


    /// The durations of phase `phase` of step `step`, in task index order.
    public func durations(step: Int, phase: Int) -> ArraySlice<Double> {
        let start = step * tasksPerStep + taskOffsets[phase]
        return taskSeconds[start..<(start + phaseTasks[phase])]
    }

    /// The time of step `step` spent outside fork–joins, on the calling thread alone: the step's
    /// wall time less its fork–joins' (never negative).
    public func serialSeconds(step: Int) -> Double {
        let phases = phaseTasks.count
        let inside = forkJoinSeconds[(step * phases)..<((step + 1) * phases)].reduce(0, +)
        return max(0, stepSeconds[step] - inside)
    }

    /// The time of phase `phase` of step `step` that no task covers: from the fork to the first
    /// task's start (waking a worker, the claim) plus from the last task's end to the join's
    /// return (the last decrement, waking the caller). What a fork–join costs inside a step.
    public func overheadSeconds(step: Int, phase: Int) -> Double {
        guard phaseTasks[phase] > 0 else { return 0 }
        let start = step * tasksPerStep + taskOffsets[phase]
        var first = Double.infinity, last = 0.0
        for i in start..<(start + phaseTasks[phase]) {
            first = min(first, taskStartSeconds[i])
            last = max(last, taskStartSeconds[i] + taskSeconds[i])
        }
        return max(0, forkJoinSeconds[step * phaseTasks.count + phase] - (last - first))
    }

    /// Adds the steps of `other`, a log of the same phase layout.
    public mutating func append(_ other: TaskLog) {
        precondition(other.phaseTasks == phaseTasks, "TaskLog.append: phase layouts differ")
        steps += other.steps
        taskSeconds += other.taskSeconds
        taskStartSeconds += other.taskStartSeconds
        forkJoinSeconds += other.forkJoinSeconds
        stepSeconds += other.stepSeconds
    }
}
