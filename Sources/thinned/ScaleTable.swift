import Thinned

/// The scaling report as a table on the terminal.
struct ScaleTable {
    let heading = [
        "threads  executor  bind    batch   step ms median [min-max]   samples/s  speedup  effic.  K-F    roofline",
        "        | per step and worker, ms: forward  backward  param  update  waiting  serial | allocs/step",
    ].joined(separator: "\n")

    func roofline(_ roofline: Roofline) -> String {
        "\nbatch \(roofline.batch): roofline \(Format.fixed(roofline.gigaflopsPerCore, 1)) GFLOP/s per core (single-thread sgemm on "
            + "the step's shapes, \(roofline.kernel) kernel) = \(Format.fixed(roofline.samplesPerSecond(threads: 1), 0)) samples/s per core "
            + "at \(Format.fixed(roofline.flopsPerSample / 1e6, 2)) MFLOP/sample"
    }

    func line(_ row: ScaleStudy.Row) -> String {
        let ms = { (seconds: Double) in Format.fixed(seconds * 1e3, 2) }
        let first = Format.right(row.threads, 7) + "  " + Format.left(row.executor.rawValue, 8) + "  " + Format.left(row.bind.rawValue, 6) + "  " + Format.right(row.batch, 5)
            + "   \(ms(row.medianSeconds)) [\(ms(row.minSeconds))-\(ms(row.maxSeconds))]"
        let figures = "  " + Format.fixed(row.samplesPerSecond, 0, width: 9) + "  " + Format.fixed(row.speedup, 2, width: 7)
            + "  " + Format.fixed(row.efficiency, 3, width: 6) + "  " + (row.karpFlatt.map { Format.fixed($0, 3, width: 5) } ?? "  -  ")
            + "  " + Format.fixed(row.rooflineFraction, 3, width: 6)
        let phases = "        | forward \(ms(row.forwardSeconds))  backward \(ms(row.backwardSeconds))  param \(ms(row.parameterSeconds))  "
            + "update \(ms(row.updateSeconds))  waiting \(ms(row.waitingSeconds))  serial \(ms(row.serialSeconds)) | "
            + Format.fixed(row.allocationsPerStep, 1)
        return Format.left(first, 58) + figures + "\n" + phases
    }

    func summary(_ report: ScaleStudy.Report) -> String {
        var lines = [""]
        for series in report.series {
            guard let fit = series.fit else { continue }
            lines.append("Amdahl fit, batch \(series.batch), \(series.runLabel): T(p) = \(Format.fixed(fit.serialSeconds * 1e3, 3)) ms "
                         + "+ \(Format.fixed(fit.parallelSeconds * 1e3, 3)) ms / p; serial fraction \(Format.fixed(fit.serialFraction, 4)); "
                         + "speedup ceiling " + (fit.speedupCeiling.map { Format.fixed($0, 1) } ?? "none"))
        }
        var digests: [Int: String] = [:]
        for row in report.rows where digests[row.batch] == nil { digests[row.batch] = row.digest }
        for (batch, digest) in digests.sorted(by: { $0.key < $1.key }) {
            lines.append("weights sha256, batch \(batch): \(digest)")
        }
        let executors = Set(report.rows.map(\.executor)).count > 1 ? ", and between the executors" : ""
        lines.append(report.identical ? "digests: identical across all thread counts and policies" + executors
                                      : "digests: DIFFER for " + report.mismatches.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
