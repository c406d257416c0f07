import Thinned

extension ScaleFiles {
    /// `scale-predictions.csv`'s columns.
    static let predictionColumns = [
        "batch", "bind", "base_workers", "workers", "work_ms", "span_ms", "parallelism", "typical_span_ms", "typical_parallelism",
        "host_stalls_per_second", "host_stall_mean_us", "stall_us_per_step", "empty_join_us", "join_us", "join_measured",
        "burdened_parallelism", "lower_bound_ms", "upper_bound_ms", "burdened_upper_bound_ms", "predicted_ms",
        "predicted_speedup", "predicted_efficiency", "slowdown", "slowdown_measured", "contended_ms", "contended_speedup",
        "contended_efficiency", "measured_ms", "error", "contended_error", "work_at_p_ms", "own_replay_ms",
        "join_in_steps_us", "preemptions_per_step",
    ]

    /// The three host-stall columns of a series: stalls per second, their mean in µs and the µs
    /// they take from a step's work T₁; empty where the base pool was not probed.
    static func stallFields(_ w: WorkSpan) -> [String] {
        guard let stalls = w.hostStalls, let perStep = w.stallSecondsPerStep else { return ["", "", ""] }
        return [Format.fixed(stalls.perSecond, 1), Format.fixed(stalls.meanSeconds * 1e6, 2), Format.fixed(perStep * 1e6, 2)]
    }

    /// `scale-predictions.csv`: one row per series and worker count, every one a prediction from
    /// the series' base tasks (the replay, and the replay with the contention κ), with the base
    /// pool's host stalls (`HostStalls`; `stall_us_per_step`: what they take from the work T₁); `measured_ms`,
    /// the errors, `work_at_p_ms` and `own_replay_ms` are filled where that count was measured. `predicted_speedup` is relative to the series'
    /// measured base step, as the measured speedups of `scale.csv` are.
    static func predictionsCSV(_ report: ScaleStudy.Report) -> String {
        let ms = { (seconds: Double) in Format.fixed(seconds * 1e3, 4) }
        var lines = [predictionColumns.joined(separator: ",")]
        for w in report.workSpans {
            let base = w.predictions.first { $0.workers == w.baseWorkers }?.measuredSeconds
            for p in w.predictions {
                let speedup = base.map { Format.fixed($0 / p.predictedSeconds * Double(w.baseWorkers), 4) } ?? ""
                let contendedSpeedup = base.map { Format.fixed($0 / p.contendedSeconds * Double(w.baseWorkers), 4) } ?? ""
                let fields: [String] = [
                    "\(w.batch)", w.bind.rawValue, "\(w.baseWorkers)", "\(p.workers)", ms(w.workSeconds), ms(w.spanSeconds),
                    Format.fixed(w.parallelism, 4), ms(w.typicalSpanSeconds), Format.fixed(w.typicalParallelism, 4),
                ] + stallFields(w) + [
                    Format.fixed(p.emptyJoinSeconds * 1e6, 4), Format.fixed(p.joinSeconds * 1e6, 4), p.joinMeasured ? "yes" : "no",
                    Format.fixed(p.burdenedParallelism, 4), ms(p.lowerBoundSeconds), ms(p.upperBoundSeconds),
                    ms(p.burdenedUpperBoundSeconds), ms(p.predictedSeconds), speedup, Format.fixed(p.efficiency, 4),
                    Format.fixed(p.slowdown, 4), p.slowdownMeasured ? "yes" : "no", ms(p.contendedSeconds), contendedSpeedup,
                    Format.fixed(p.contendedEfficiency, 4),
                    p.measuredSeconds.map(ms) ?? "", p.error.map { Format.fixed($0, 4) } ?? "",
                    p.contendedError.map { Format.fixed($0, 4) } ?? "",
                    p.measuredWorkSeconds.map(ms) ?? "", p.selfReplaySeconds.map(ms) ?? "",
                    p.stepJoinSeconds.map { Format.fixed($0 * 1e6, 3) } ?? "", p.preemptionsPerStep.map { Format.fixed($0, 3) } ?? "",
                ]
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
