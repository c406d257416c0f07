import Foundation
import Thinned

/// The scaling report as files: CSV (one row per configuration) and JSON (everything).
enum ScaleFiles {
    static let columns = ["batch", "bind", "threads", "median_ms", "min_ms", "max_ms", "samples_per_s", "speedup",
                          "efficiency", "karp_flatt", "roofline_fraction", "forward_ms", "backward_ms", "parameter_ms",
                          "update_ms", "waiting_ms", "serial_ms", "allocations_per_step", "pinned_workers", "weights_sha256"]

    static func csv(_ report: ScaleStudy.Report) -> String {
        let ms = { (seconds: Double) in String(format: "%.4f", seconds * 1e3) }
        let rows = report.rows.map { row in
            ["\(row.batch)", row.bind.rawValue, "\(row.threads)", ms(row.medianSeconds), ms(row.minSeconds), ms(row.maxSeconds),
             String(format: "%.1f", row.samplesPerSecond), String(format: "%.4f", row.speedup),
             String(format: "%.4f", row.efficiency), row.karpFlatt.map { String(format: "%.4f", $0) } ?? "",
             String(format: "%.4f", row.rooflineFraction), ms(row.forwardSeconds), ms(row.backwardSeconds),
             ms(row.parameterSeconds), ms(row.updateSeconds), ms(row.waitingSeconds), ms(row.serialSeconds),
             String(format: "%.2f", row.allocationsPerStep), "\(row.pinnedWorkers)", row.digest].joined(separator: ",")
        }
        return ([columns.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    static func json(_ report: ScaleStudy.Report, header: ScaleHeader) throws -> String {
        struct Document: Encodable {
            let header: ScaleHeader
            let report: ScaleStudy.Report
            let identical: Bool
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(Document(header: header, report: report, identical: report.identical)),
                      as: UTF8.self) + "\n"
    }
}
