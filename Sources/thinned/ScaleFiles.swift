import Thinned

/// The scaling report as files: CSV (one row per configuration, with its phases against the
/// roofs; and one row per predicted worker count, `ScaleFiles+Predictions.swift`) and JSON
/// (everything).
enum ScaleFiles {
    static let columns = ["batch", "bind", "threads", "median_ms", "min_ms", "max_ms", "samples_per_s", "speedup",
                          "efficiency", "karp_flatt", "roofline_fraction", "forward_ms", "backward_ms", "parameter_ms",
                          "update_ms", "waiting_ms", "serial_ms", "allocations_per_step", "pinned_workers", "executor"]
        + ScaleFiles.roofColumns + ["weights_sha256"]

    static func csv(_ report: ScaleStudy.Report) -> String {
        let ms = { (seconds: Double) in Format.fixed(seconds * 1e3, 4) }
        let rows = report.rows.map { row -> String in
            let fields: [String] = ["\(row.batch)", row.bind.rawValue, "\(row.threads)", ms(row.medianSeconds), ms(row.minSeconds), ms(row.maxSeconds),
             Format.fixed(row.samplesPerSecond, 1), Format.fixed(row.speedup, 4),
             Format.fixed(row.efficiency, 4), row.karpFlatt.map { Format.fixed($0, 4) } ?? "",
             Format.fixed(row.rooflineFraction, 4), ms(row.forwardSeconds), ms(row.backwardSeconds),
             ms(row.parameterSeconds), ms(row.updateSeconds), ms(row.waitingSeconds), ms(row.serialSeconds),
             Format.fixed(row.allocationsPerStep, 2), "\(row.pinnedWorkers)", row.executor.rawValue]
            let roofs = row.executor == .pool
                ? report.phaseRoofs.first { $0.batch == row.batch && $0.bind == row.bind && $0.threads == row.threads } : nil
            return (fields + roofFields(roofs) + [row.digest]).joined(separator: ",")
        }
        return ([columns.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    static func json(_ report: ScaleStudy.Report, header: ScaleHeader) throws -> String {
        struct Document: Encodable {
            let header: ScaleHeader
            let report: ScaleStudy.Report
            let identical: Bool
        }
        return try JSONValue(encoding: Document(header: header, report: report, identical: report.identical)).text(.sortedIndented) + "\n"
    }
}
