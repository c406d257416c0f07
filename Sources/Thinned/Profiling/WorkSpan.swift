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
/// - parallelism T₁/T∞; with the join cost c(P) of each phase added to the span (Cilkview's
///   *burdened* span, T∞ + phases·c(P)), the burdened parallelism.
///
/// For each P: the greedy (Brent) bounds max(T₁/P, T∞) ≤ T_P ≤ T₁/P + T∞ of the overhead-free dag,
/// the burdened upper bound T₁/P + T∞ + phases·c(P), and a *replay*: each phase's measured tasks
/// list-scheduled on P workers (`ListSchedule`), plus c(P) per phase, plus the serial time.
/// Every figure is computed per step, then the median over the steps is taken (so the bounds
/// are the medians of each step's bounds, and hold for the median replay).
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
    /// T∞ + joins per step × c(base workers), in seconds.
    public let burdenedSpanSeconds: Double
    /// T₁ / burdened span.
    public let burdenedParallelism: Double
    /// The join cost model c(P).
    public let joinCost: JoinCost
    /// One prediction per worker count: the requested ones and every measured one, ascending.
    public let predictions: [Prediction]

    /// The prediction for P workers.
    public struct Prediction: Sendable, Codable {
        /// P.
        public let workers: Int
        /// c(P), in seconds: measured or extrapolated (`joinMeasured`).
        public let joinSeconds: Double
        /// Whether c(P) was measured on a pool of P workers.
        public let joinMeasured: Bool
        /// max(T₁/P, T∞), in seconds.
        public let lowerBoundSeconds: Double
        /// T₁/P + T∞, in seconds (overhead-free dag).
        public let upperBoundSeconds: Double
        /// T₁/P + T∞ + joins per step × c(P), in seconds.
        public let burdenedUpperBoundSeconds: Double
        /// The list-scheduling replay: the predicted step time T_P, in seconds.
        public let predictedSeconds: Double
        /// T₁ / (P · T_P).
        public let efficiency: Double
        /// T₁ / (T∞ + joins per step × c(P)).
        public let burdenedParallelism: Double
        /// The measured median step on P workers, where P was measured.
        public let measuredSeconds: Double?
        /// (T_P − measured) / measured, where P was measured.
        public let error: Double?
        /// Where P was measured: the work (task times + serial) of the steps on P workers, in
        /// seconds; above T₁ when the tasks ran slower side by side (shared caches, memory).
        public let measuredWorkSeconds: Double?
        /// Where P was measured: the replay of P's own measured tasks on P workers, in seconds;
        /// what is left between it and the measurement is waiting the model does not see.
        public let selfReplaySeconds: Double?
    }

    /// The analysis of the base pool's `base` log with join costs `joinCost`, predicting `predict`
    /// and every count of `measured` (each with its median step and its own log); nil when the
    /// base log has no step or a span of 0.
    /// - Complexity: O(steps · tasks per step · log P) per predicted P.
    public static func analyze(batch: Int, bind: BindPolicy, baseWorkers: Int, base: TaskLog, joinCost: JoinCost,
                               predict: [Int], measured: [(workers: Int, seconds: Double, log: TaskLog)]) -> WorkSpan? {
        guard base.steps > 0, base.tasksPerStep > 0 else { return nil }
        let steps = 0..<base.steps
        let phases = base.phaseTasks.indices
        let joins = base.phaseTasks.filter { $0 > 0 }.count
        func median(_ values: (Int) -> Double) -> Double { ScaleMath.median(steps.map(values)) }
        func tasks(_ log: TaskLog, _ s: Int) -> Double { phases.reduce(0) { $0 + log.durations(step: s, phase: $1).reduce(0, +) } }
        func replay(_ log: TaskLog, workers: Int) -> Double {
            ScaleMath.median((0..<log.steps).map { s in
                phases.reduce(0) { $0 + ListSchedule.makespan(log.durations(step: s, phase: $1), workers: workers) }
                    + log.serialSeconds(step: s)
            }) + Double(joins) * joinCost.seconds(workers: workers)
        }
        let taskSeconds = median { tasks(base, $0) }
        let serial = median { base.serialSeconds(step: $0) }
        let works = steps.map { tasks(base, $0) + base.serialSeconds(step: $0) }
        let spans = steps.map { s in
            phases.reduce(0) { $0 + (base.durations(step: s, phase: $1).max() ?? 0) } + base.serialSeconds(step: s)
        }
        let work = ScaleMath.median(works), span = ScaleMath.median(spans)
        // A step whose every task took no time (a clock too coarse for them) has nothing to say.
        guard span > 0 else { return nil }
        let burdenedSpan = span + Double(joins) * joinCost.seconds(workers: baseWorkers)
        let counts = Set(predict + measured.map(\.workers)).sorted()
        let predictions = counts.map { p -> Prediction in
            let join = joinCost.seconds(workers: p), burden = Double(joins) * join, workers = Double(p)
            let predicted = replay(base, workers: p)
            let here = measured.first { $0.workers == p }
            // The bounds per step, then their medians: each step's replay lies within its own
            // bounds, so the median replay lies within the median bounds.
            return Prediction(
                workers: p, joinSeconds: join, joinMeasured: joinCost.isMeasured(workers: p),
                lowerBoundSeconds: median { max(works[$0] / workers, spans[$0]) },
                upperBoundSeconds: median { works[$0] / workers + spans[$0] },
                burdenedUpperBoundSeconds: median { works[$0] / workers + spans[$0] } + burden, predictedSeconds: predicted,
                efficiency: work / (workers * predicted), burdenedParallelism: work / (span + burden),
                measuredSeconds: here?.seconds, error: here.map { (predicted - $0.seconds) / $0.seconds },
                measuredWorkSeconds: here.flatMap { m in
                    m.log.steps > 0 ? ScaleMath.median((0..<m.log.steps).map { tasks(m.log, $0) + m.log.serialSeconds(step: $0) }) : nil
                },
                selfReplaySeconds: here.flatMap { $0.log.steps > 0 ? replay($0.log, workers: p) : nil })
        }
        return WorkSpan(batch: batch, bind: bind, baseWorkers: baseWorkers, steps: base.steps, joinsPerStep: joins,
                        tasksPerStep: base.tasksPerStep, taskSeconds: taskSeconds, serialSeconds: serial, workSeconds: work,
                        spanSeconds: span, parallelism: work / span, burdenedSpanSeconds: burdenedSpan,
                        burdenedParallelism: work / burdenedSpan, joinCost: joinCost, predictions: predictions)
    }
}
