import Parallel

/// Work, span and parallelism of a training step, and its predicted time on P workers, from the
/// tasks measured on one pool — as Cilkview does for a Cilk program (He, Leiserson & Leiserson,
/// "The Cilkview scalability analyzer", SPAA 2010), with the step's fork–joins as the dag.
///
/// A step is a chain of phases (fork–joins), each a set of independent tasks, with serial time on
/// the calling thread between them. Of the tasks measured on the base pool (the study's smallest
/// worker count, normally one worker, as Cilkview instruments a serial run), per step:
/// - work T₁ = the sum of every task's time + the serial time;
/// - span T∞ = the sum over phases of the longest task + the serial time;
/// - parallelism T₁/T∞; with each phase's join cost added (Cilkview's *burdened* span), the
///   burdened parallelism.
///
/// The longest of a phase's tasks in one step is often one that a stall of the machine (an
/// interrupt, a preemption, a neighbour on a shared host) caught: the more tasks a phase has, the
/// likelier. So the span is also given from the *typical* tasks: each task's median time over the
/// steps, the longest of those per phase, summed with the median serial time (`typicalSpanSeconds`).
/// Cilkview counts instructions, which no stall changes; this is the timing analogue. A task that
/// is slow in every step (a cold block of weights) stays slow in its median.
/// How much of the span the host's stalls account for is measured apart, on the base pool
/// (`HostStalls`): a step's work meets about (stalls per second) × T₁ of them, and each one that
/// lands in a phase's longest task lengthens the span by itself.
///
/// For each P: the greedy (Brent) bounds max(T₁/P, T∞) ≤ T_P ≤ T₁/P + T∞ of the overhead-free dag;
/// a *replay*, each phase's measured tasks list-scheduled on P workers (`ListSchedule`), plus each
/// phase's join cost c(P, its length) (`JoinCost`), plus the serial time; and the burdened upper
/// bound, T₁/P + T∞ + the same join costs, which the replay never exceeds. Every figure is
/// computed per step, then the median over the steps is taken (so the bounds are the medians of
/// each step's bounds, and hold for the median replay).
///
/// Like Cilkview's, the replay assumes that a task takes as long on P busy workers as it took on
/// the base pool. Where workers slow each other down (`CoreContention`: shared physical cores,
/// clocks, caches) it does not; the *contended* replay multiplies every task by the slowdown κ(P)
/// measured on the pool of P workers, relative to the base pool's — beyond the measured counts,
/// by that of the largest measured count below P, an assumption the report states.
public struct WorkSpan: Sendable, Codable {
    /// The batch size.
    public let batch: Int
    /// The series' bind policy.
    public let bind: BindPolicy
    /// The worker count whose tasks were measured (the series' smallest).
    public let baseWorkers: Int
    /// The steps whose tasks were recorded.
    public let steps: Int
    /// Fork–joins of a step that have tasks (each one join).
    public let joinsPerStep: Int
    /// Tasks of a step.
    public let tasksPerStep: Int
    /// Median over steps of the sum of the task times, in seconds.
    public let taskSeconds: Double
    /// Median over steps of the time outside fork–joins, in seconds.
    public let serialSeconds: Double
    /// Work T₁: median over steps of task times + serial time, in seconds.
    public let workSeconds: Double
    /// Span T∞: median over steps of Σ over phases of the longest task + serial time, in seconds.
    public let spanSeconds: Double
    /// T₁ / T∞.
    public let parallelism: Double
    /// T∞ from the typical tasks: Σ over phases of the longest per-task median + the median
    /// serial time, in seconds (see the type's comment).
    public let typicalSpanSeconds: Double
    /// T₁ / the typical span.
    public let typicalParallelism: Double
    /// T∞ with every phase's join cost on the base pool added, in seconds.
    public let burdenedSpanSeconds: Double
    /// T₁ / burdened span.
    public let burdenedParallelism: Double
    /// The join cost model c(P, phase length).
    public let joinCost: JoinCost
    /// The slowdown measured on each pool of the series with more than one worker.
    public let contention: [CoreContention]
    /// One prediction per worker count: the requested ones and every measured one, ascending.
    public let predictions: [Prediction]
    /// Each fork–join of the base pool's step, in order: where the work and the span come from.
    public let forkJoins: [ForkJoin]
    /// The host's stalls measured on the base pool, where they were.
    public let hostStalls: HostStalls?
    /// The time the host's stalls take from a step's work T₁ (`HostStalls.expected`), in seconds;
    /// nil without `hostStalls`.
    public var stallSecondsPerStep: Double? { hostStalls?.expected(in: workSeconds).seconds }

    /// One fork–join of a step, medians over the steps.
    public struct ForkJoin: Sendable, Codable {
        /// Its place in the step, from 0.
        public let index: Int
        /// Its tasks.
        public let tasks: Int
        /// The sum of its task times, in seconds.
        public let workSeconds: Double
        /// Its longest task, in seconds.
        public let spanSeconds: Double
        /// Its wall time on the calling thread, in seconds.
        public let wallSeconds: Double
        /// Its wall time that no task covers (`TaskLog.overheadSeconds`), in seconds.
        public let overheadSeconds: Double
    }

    /// The prediction for P workers.
    public struct Prediction: Sendable, Codable {
        /// P.
        public let workers: Int
        /// c(P) of an empty fork–join, in seconds: measured or extrapolated (`joinMeasured`).
        public let emptyJoinSeconds: Double
        /// The join cost the replay adds per fork–join (its mean over the step's phases, each
        /// c(P, the phase's replayed length)), in seconds.
        public let joinSeconds: Double
        /// Whether c(P, ·) was measured on a pool of P workers.
        public let joinMeasured: Bool
        /// max(T₁/P, T∞), in seconds.
        public let lowerBoundSeconds: Double
        /// T₁/P + T∞, in seconds (overhead-free dag).
        public let upperBoundSeconds: Double
        /// T₁/P + T∞ + the replay's join costs, in seconds.
        public let burdenedUpperBoundSeconds: Double
        /// The list-scheduling replay: the predicted step time T_P, in seconds.
        public let predictedSeconds: Double
        /// T₁ / (P · T_P).
        public let efficiency: Double
        /// κ(P): how much slower a task runs with P workers busy than with the base count busy
        /// (1 for P ≤ the base count).
        public let slowdown: Double
        /// Whether κ(P) was measured on a pool of P workers (else assumed, see `WorkSpan`).
        public let slowdownMeasured: Bool
        /// The replay with every task κ(P) times longer, in seconds.
        public let contendedSeconds: Double
        /// T₁ / (P · contended T_P).
        public let contendedEfficiency: Double
        /// T₁ / (T∞ + every phase's join cost c(P, its longest task)).
        public let burdenedParallelism: Double
        /// The measured median step on P workers, where P was measured.
        public let measuredSeconds: Double?
        /// (T_P − measured) / measured, where P was measured.
        public let error: Double?
        /// (contended T_P − measured) / measured, where P was measured.
        public let contendedError: Double?
        /// Where P was measured: the work (task times + serial) of the steps on P workers, in
        /// seconds; above T₁ when the tasks ran slower side by side (shared cores, caches, memory).
        public let measuredWorkSeconds: Double?
        /// Where P was measured: the replay of P's own measured tasks on P workers, in seconds;
        /// what is left between it and the measurement is waiting the model does not see.
        public let selfReplaySeconds: Double?
        /// Where P was measured: the fork–join time no task covered, per fork–join (median over
        /// steps of the step's sum / joins), in seconds — the join cost as the steps paid it, to
        /// hold against `joinSeconds`.
        public let stepJoinSeconds: Double?
        /// Where P was measured: how often per step the scheduler took a core from a worker
        /// (involuntary context switches) — worker 0 is the calling thread, so its own count is in it.
        public let preemptionsPerStep: Double?
    }

    /// The analysis of the base pool's `base` log with join costs `joinCost` and contention
    /// `contention`, predicting `predict` and every count of `measured` (each with its median
    /// step and its own log, and its workers' preemptions per step where counted), with the base
    /// pool's `hostStalls` where measured; nil when the base log has no step or a span of 0.
    /// - Complexity: O(steps · tasks per step · log P) per predicted P.
    public static func analyze(batch: Int, bind: BindPolicy, baseWorkers: Int, base: TaskLog, joinCost: JoinCost,
                               contention: [CoreContention] = [], predict: [Int],
                               measured: [(workers: Int, seconds: Double, log: TaskLog)],
                               preemptionsPerStep: [Int: Double] = [:], hostStalls: HostStalls? = nil) -> WorkSpan? {
        guard base.steps > 0, base.tasksPerStep > 0 else { return nil }
        let steps = 0..<base.steps
        let phases = base.phaseTasks.indices.filter { base.phaseTasks[$0] > 0 }
        let joins = phases.count
        func median(_ values: (Int) -> Double) -> Double { ScaleMath.median(steps.map(values)) }
        func tasks(_ log: TaskLog, _ s: Int) -> Double { phases.reduce(0) { $0 + log.durations(step: s, phase: $1).reduce(0, +) } }
        /// One step of `log` replayed on `workers` with every task `slowdown` times longer: its
        /// phases' makespans, and the join costs of phases that long.
        func replay(_ log: TaskLog, step s: Int, workers: Int, slowdown: Double = 1) -> (tasks: Double, joins: Double) {
            phases.reduce((0, 0)) { sum, k in
                let makespan = slowdown * ListSchedule.makespan(log.durations(step: s, phase: k), workers: workers)
                return (sum.tasks + makespan, sum.joins + joinCost.seconds(workers: workers, phaseSeconds: makespan))
            }
        }
        func replay(_ log: TaskLog, workers: Int, slowdown: Double = 1) -> Double {
            ScaleMath.median((0..<log.steps).map { s in
                let r = replay(log, step: s, workers: workers, slowdown: slowdown)
                return r.tasks + r.joins + log.serialSeconds(step: s)
            })
        }
        /// Σ over phases of the longest task, and of the join cost of a phase that long on `workers`.
        func longest(step s: Int, workers: Int) -> (tasks: Double, joins: Double) {
            phases.reduce((0, 0)) { sum, k in
                let longest = base.durations(step: s, phase: k).max() ?? 0
                return (sum.tasks + longest, sum.joins + joinCost.seconds(workers: workers, phaseSeconds: longest))
            }
        }

        let taskSeconds = median { tasks(base, $0) }
        let serial = median { base.serialSeconds(step: $0) }
        let works = steps.map { tasks(base, $0) + base.serialSeconds(step: $0) }
        let spans = steps.map { longest(step: $0, workers: baseWorkers).tasks + base.serialSeconds(step: $0) }
        let work = ScaleMath.median(works), span = ScaleMath.median(spans)
        // A step whose every task took no time (a clock too coarse for them) has nothing to say.
        guard span > 0 else { return nil }
        let burdenedSpan = median { spans[$0] + longest(step: $0, workers: baseWorkers).joins }
        let typicalTasks = phases.reduce(serial) { sum, k in
            sum + (0..<base.phaseTasks[k]).map { i in
                median { let d = base.durations(step: $0, phase: k); return d[d.startIndex + i] }
            }.max()!
        }
        // Tasks too short for the clock can leave it 0 where a step's longest was not: then the
        // per-step span stands in (never an infinite parallelism).
        let typicalSpan = typicalTasks > 0 ? typicalTasks : span

        // κ relative to the base pool, whose tasks already ran with its own contention.
        let slowdowns = contention.sorted { $0.workers < $1.workers }
        let baseSlowdown = slowdowns.first { $0.workers == baseWorkers }?.slowdown ?? 1
        func slowdown(_ p: Int) -> (value: Double, measured: Bool) {
            if p <= baseWorkers { return (1, true) }
            if let here = slowdowns.first(where: { $0.workers == p }) { return (here.slowdown / baseSlowdown, true) }
            return ((slowdowns.last { $0.workers < p && $0.workers > baseWorkers }?.slowdown ?? baseSlowdown) / baseSlowdown, false)
        }

        let counts = Set(predict + measured.map(\.workers)).sorted()
        let predictions = counts.map { p -> Prediction in
            let workers = Double(p), kappa = slowdown(p)
            let replays = steps.map { replay(base, step: $0, workers: p) }
            let predicted = median { replays[$0].tasks + replays[$0].joins + base.serialSeconds(step: $0) }
            let contended = replay(base, workers: p, slowdown: kappa.value)
            let here = measured.first { $0.workers == p }
            // The bounds per step, then their medians: each step's replay lies within its own
            // bounds, so the median replay lies within the median bounds.
            return Prediction(
                workers: p, emptyJoinSeconds: joinCost.seconds(workers: p), joinSeconds: median { replays[$0].joins } / Double(max(1, joins)),
                joinMeasured: joinCost.isMeasured(workers: p),
                lowerBoundSeconds: median { max(works[$0] / workers, spans[$0]) },
                upperBoundSeconds: median { works[$0] / workers + spans[$0] },
                burdenedUpperBoundSeconds: median { works[$0] / workers + spans[$0] + replays[$0].joins },
                predictedSeconds: predicted, efficiency: work / (workers * predicted),
                slowdown: kappa.value, slowdownMeasured: kappa.measured,
                contendedSeconds: contended, contendedEfficiency: work / (workers * contended),
                burdenedParallelism: work / median { spans[$0] + longest(step: $0, workers: p).joins },
                measuredSeconds: here?.seconds, error: here.map { (predicted - $0.seconds) / $0.seconds },
                contendedError: here.map { (contended - $0.seconds) / $0.seconds },
                measuredWorkSeconds: here.flatMap { m in
                    m.log.steps > 0 ? ScaleMath.median((0..<m.log.steps).map { tasks(m.log, $0) + m.log.serialSeconds(step: $0) }) : nil
                },
                selfReplaySeconds: here.flatMap { $0.log.steps > 0 ? replay($0.log, workers: p) : nil },
                stepJoinSeconds: here.flatMap { m in
                    m.log.steps > 0 && joins > 0 ? ScaleMath.median((0..<m.log.steps).map { s in
                        phases.reduce(0) { $0 + m.log.overheadSeconds(step: s, phase: $1) }
                    }) / Double(joins) : nil
                },
                preemptionsPerStep: here == nil ? nil : preemptionsPerStep[p])
        }
        let forkJoins = base.phaseTasks.indices.map { k in
            ForkJoin(index: k, tasks: base.phaseTasks[k], workSeconds: median { base.durations(step: $0, phase: k).reduce(0, +) },
                     spanSeconds: median { base.durations(step: $0, phase: k).max() ?? 0 },
                     wallSeconds: median { base.forkJoinSeconds[$0 * base.phaseTasks.count + k] },
                     overheadSeconds: median { base.overheadSeconds(step: $0, phase: k) })
        }
        return WorkSpan(batch: batch, bind: bind, baseWorkers: baseWorkers, steps: base.steps, joinsPerStep: joins,
                        tasksPerStep: base.tasksPerStep, taskSeconds: taskSeconds, serialSeconds: serial, workSeconds: work,
                        spanSeconds: span, parallelism: work / span, typicalSpanSeconds: typicalSpan,
                        typicalParallelism: work / typicalSpan, burdenedSpanSeconds: burdenedSpan,
                        burdenedParallelism: work / burdenedSpan, joinCost: joinCost, contention: contention,
                        predictions: predictions, forkJoins: forkJoins, hostStalls: hostStalls)
    }
}
