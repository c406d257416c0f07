import Foundation
import Thinned

/// The scaling report as a table on the terminal.
struct ScaleTable {
    let heading = [
        "threads  bind    batch   step ms median [min-max]   samples/s  speedup  effic.  K-F    roofline",
        "        | per step and worker, ms: forward  backward  param  update  waiting  serial | allocs/step",
    ].joined(separator: "\n")

    func roofline(_ roofline: Roofline) -> String {
        String(format: "\nbatch %d: roofline %.1f GFLOP/s per core (single-thread sgemm on the step's shapes, %@ kernel) = %.0f samples/s per core at %.2f MFLOP/sample",
               roofline.batch, roofline.gigaflopsPerCore, roofline.kernel, roofline.samplesPerSecond(threads: 1),
               roofline.flopsPerSample / 1e6)
    }

    func line(_ row: ScaleStudy.Row) -> String {
        let ms = { (seconds: Double) in String(format: "%.2f", seconds * 1e3) }
        let first = String(format: "%7d  %-6@  %5d   %@ [%@-%@]", row.threads, row.bind.rawValue as NSString, row.batch,
                           ms(row.medianSeconds), ms(row.minSeconds), ms(row.maxSeconds))
        let figures = String(format: "  %9.0f  %7.2f  %6.3f  %@  %6.3f", row.samplesPerSecond, row.speedup, row.efficiency,
                             row.karpFlatt.map { String(format: "%5.3f", $0) } ?? "  -  ", row.rooflineFraction)
        let phases = String(format: "        | forward %@  backward %@  param %@  update %@  waiting %@  serial %@ | %.1f",
                            ms(row.forwardSeconds), ms(row.backwardSeconds), ms(row.parameterSeconds),
                            ms(row.updateSeconds), ms(row.waitingSeconds), ms(row.serialSeconds), row.allocationsPerStep)
        return first.padding(toLength: 48, withPad: " ", startingAt: 0) + figures + "\n" + phases
    }

    func summary(_ report: ScaleStudy.Report) -> String {
        var lines = [""]
        for series in report.series {
            guard let fit = series.fit else { continue }
            lines.append(String(format: "Amdahl fit, batch %d, --bind %@: T(p) = %.3f ms + %.3f ms / p; serial fraction %.4f; speedup ceiling %@",
                                series.batch, series.bind.rawValue, fit.serialSeconds * 1e3, fit.parallelSeconds * 1e3,
                                fit.serialFraction, fit.speedupCeiling.map { String(format: "%.1f", $0) } ?? "none"))
        }
        var digests: [Int: String] = [:]
        for row in report.rows where digests[row.batch] == nil { digests[row.batch] = row.digest }
        for (batch, digest) in digests.sorted(by: { $0.key < $1.key }) {
            lines.append("weights sha256, batch \(batch): \(digest)")
        }
        lines.append(report.identical ? "digests: identical across all thread counts and policies"
                                      : "digests: DIFFER for " + report.mismatches.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
