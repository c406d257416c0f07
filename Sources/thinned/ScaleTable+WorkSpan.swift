import Thinned

extension ScaleTable {
    /// A series' work, span, parallelism and predictions, after its rows.
    func workSpan(_ w: WorkSpan) -> String {
        let ms = { (seconds: Double) in Format.fixed(seconds * 1e3, 3) }
        let us = { (seconds: Double) in Format.fixed(seconds * 1e6, 1) }
        let join = w.joinCost
        let counts = Set(join.points.map(\.workers)).sorted()
        let measuredJoins = counts.map { p in
            "P = \(p): " + join.points.filter { $0.workers == p }.map { "\(us($0.seconds)) (d = \(us($0.taskSeconds)))" }
                .joined(separator: ", ")
        }.joined(separator: "; ")
        let model = join.isFlat
            ? "flat (" + (counts.count == 1 ? "one measured worker count" : "no growth measured") + ")"
            : "per d, a + b·log₂P by least squares"
        var lines = [
            "",
            "work/span, batch \(w.batch), --bind \(w.bind.rawValue): tasks measured on \(w.baseWorkers) worker\(w.baseWorkers == 1 ? "" : "s"), "
                + "\(w.steps) steps of \(w.joinsPerStep) fork–joins and \(w.tasksPerStep) tasks; medians over the steps",
            "  work T₁ \(ms(w.workSeconds)) ms (tasks \(ms(w.taskSeconds)) + serial \(ms(w.serialSeconds))), span T∞ \(ms(w.spanSeconds)) ms, "
                + "parallelism T₁/T∞ \(Format.fixed(w.parallelism, 2)); burdened span \(ms(w.burdenedSpanSeconds)) ms, "
                + "burdened parallelism \(Format.fixed(w.burdenedParallelism, 2)); from the typical tasks (each task's "
                + "median over the steps) span \(ms(w.typicalSpanSeconds)) ms, parallelism \(Format.fixed(w.typicalParallelism, 2))",
        ]
        if let stalls = w.hostStalls {
            let (meets, lost) = stalls.expected(in: w.workSeconds)
            lines.append("  host stalls (\(stalls.workers) worker\(stalls.workers == 1 ? "" : "s") reading the clock for "
                         + "\(Format.fixed(stalls.probedSeconds / Double(max(1, stalls.workers)), 1)) s each, gaps over "
                         + "\(us(stalls.thresholdSeconds)) µs): \(Format.fixed(stalls.perSecond, 0)) per second, "
                         + "\(us(stalls.meanSeconds)) µs mean, longest \(us(stalls.longestSeconds)) µs, "
                         + "\(Format.fixed(stalls.fraction * 100, 2)) % of the time; a step's work meets about "
                         + "\(Format.fixed(meets, 1)) (\(us(lost)) µs), which the span takes where they land in a phase's "
                         + "longest task (span − typical span: \(us(w.spanSeconds - w.typicalSpanSeconds)) µs)")
        }
        lines += [
            "  join cost c(P, d): the fork–join time no task covers, P tasks of d each, median, µs: \(measuredJoins); beyond: \(model)",
            "       P  c(P,0) µs  join µs  lower ms  upper ms  burdened ms  replay T_P ms  effic.  burdened par.   κ(P)  replay×κ ms  effic."
                + "  measured ms   error  error×κ  work at P ms  own replay ms  join in steps µs  preempted/step",
        ]
        for p in w.predictions {
            var line = Format.right(p.workers, 8) + Format.fixed(p.emptyJoinSeconds * 1e6, 2, width: 11)
                + Format.fixed(p.joinSeconds * 1e6, 1, width: 9) + (p.joinMeasured ? " " : "*")
                + Format.fixed(p.lowerBoundSeconds * 1e3, 3, width: 9) + Format.fixed(p.upperBoundSeconds * 1e3, 3, width: 10)
                + Format.fixed(p.burdenedUpperBoundSeconds * 1e3, 3, width: 13) + Format.fixed(p.predictedSeconds * 1e3, 3, width: 15)
                + Format.fixed(p.efficiency, 3, width: 8) + Format.fixed(p.burdenedParallelism, 2, width: 15)
                + Format.fixed(p.slowdown, 3, width: 7) + (p.slowdownMeasured ? " " : "†")
                + Format.fixed(p.contendedSeconds * 1e3, 3, width: 12) + Format.fixed(p.contendedEfficiency, 3, width: 8)
            if let measured = p.measuredSeconds, let error = p.error, let contendedError = p.contendedError {
                line += Format.fixed(measured * 1e3, 3, width: 13) + Format.fixed(error * 100, 1, width: 6) + " %"
                    + Format.fixed(contendedError * 100, 1, width: 7) + " %"
                line += (p.measuredWorkSeconds.map { Format.fixed($0 * 1e3, 3, width: 14) } ?? Format.right("-", 14))
                line += (p.selfReplaySeconds.map { Format.fixed($0 * 1e3, 3, width: 15) } ?? Format.right("-", 15))
                line += (p.stepJoinSeconds.map { Format.fixed($0 * 1e6, 1, width: 18) } ?? Format.right("-", 18))
                line += (p.preemptionsPerStep.map { Format.fixed($0, 2, width: 16) } ?? Format.right("-", 16))
            }
            lines.append(line)
        }
        let kappas = w.contention.map { "P = \($0.workers): \(Format.fixed($0.slowdown, 3))" }.joined(separator: ", ")
        lines.append("  κ(P): a worker's time for the step's products with P workers computing at once over its time alone, "
                     + "measured on each pool: " + (kappas.isEmpty ? "none measured (one worker)" : kappas))
        lines.append("  * join cost extrapolated; † κ of the largest measured count below P, assumed. join: the replay's mean "
                     + "c(P, phase length) per fork–join; lower = max(T₁/P, T∞), upper = T₁/P + T∞ (greedy bounds); burdened = "
                     + "upper + the replay's join costs; replay = the measured tasks list-scheduled on P workers + join costs + "
                     + "serial; replay×κ: every task κ(P) times longer; efficiency = T₁/(P·T_P); error = (T_P − measured) / "
                     + "measured; work at P and own replay: the same from the tasks measured on P workers; join in steps: the "
                     + "fork–join time no task covered there, per fork–join; preempted/step: the workers' involuntary context "
                     + "switches per step")
        return lines.joined(separator: "\n")
    }
}
