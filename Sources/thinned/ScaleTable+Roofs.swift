import Thinned

extension ScaleTable {
    /// How the memory roof is measured, printed once before the rows.
    func bandwidthMethod(elements: Int, repetitions: Int) -> String {
        "memory roof: STREAM triad a[i] = b[i] + \(Format.fixed(Double(MemoryBandwidth.scalar), 0))·c[i] on each pool, "
            + "3 Float arrays of \((elements * MemoryLayout<Float>.stride) >> 20) MiB, each worker first-touching and streaming "
            + "its own part, best of \(repetitions); \(MemoryBandwidth.bytesPerElement) bytes counted per element "
            + "(STREAM's count: no write-allocate)"
    }

    /// One configuration's phases against the compute and memory roofs, under its row.
    func roofs(_ roofs: PhaseRoofs) -> String {
        let bandwidth = roofs.bandwidthGigabytesPerSecond.map { Format.fixed($0, 1) + " GB/s (triad)" } ?? "not measured"
        var lines = [
            "        | roofs on \(roofs.threads) worker\(roofs.threads == 1 ? "" : "s"): compute "
                + "\(Format.fixed(roofs.computeGigaflopsPerSecond, 1)) GFLOP/s, memory \(bandwidth)",
            "        |   phase        MFLOP      MB  flop/B  binding  attainable GF/s  achieved GF/s    GB/s  fraction",
        ]
        for phase in roofs.phases {
            var line = "        |   " + Format.left(phase.phase.rawValue, 9) + Format.fixed(phase.flops / 1e6, 1, width: 9)
                + Format.fixed(phase.bytes / 1e6, 2, width: 8) + Format.fixed(phase.intensity, 2, width: 8) + "  "
                + Format.left(phase.binding.rawValue, 7) + Format.fixed(phase.attainableGigaflopsPerSecond, 1, width: 17)
                + (phase.achievedGigaflopsPerSecond.map { Format.fixed($0, 1, width: 15) } ?? Format.right("-", 15))
                + (phase.achievedGigabytesPerSecond.map { Format.fixed($0, 1, width: 8) } ?? Format.right("-", 8))
                + (phase.fraction.map { Format.fixed($0, 3, width: 10) } ?? Format.right("-", 10))
            if phase.phase == .update, let bandwidthSeconds = phase.bandwidthSeconds {
                line += "   time \(Format.fixed(phase.seconds * 1e3, 3)) ms vs bytes/bandwidth "
                    + "\(Format.fixed(bandwidthSeconds * 1e3, 3)) ms: "
                    + (phase.bandwidthRatio.map { Format.fixed($0, 2) + "×" } ?? "-")
            }
            if phase.binding == .memory, let fraction = phase.fraction, fraction > 1 {
                line += " (above the measured memory roof: part of its traffic is served from cache)"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
