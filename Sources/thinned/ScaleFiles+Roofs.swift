import Thinned

extension ScaleFiles {
    /// The phases `scale.csv` puts against the roofs, in column order.
    static let roofPhases: [PhaseTraffic.Phase] = [.forward, .backward, .parameter, .update]

    /// `scale.csv`'s roof columns: the pool's triad bandwidth, then per phase its model's MFLOP and
    /// MB per step, flops per byte, binding roof and fraction of it, then the update's time over
    /// bytes / bandwidth.
    static let roofColumns = ["bandwidth_gb_s"]
        + roofPhases.flatMap { p in ["mflop", "mb", "flop_per_byte", "binding", "roof_fraction"].map { "\(p.rawValue)_\($0)" } }
        + ["update_bandwidth_ratio"]

    /// The roof columns of one row; empty fields where there is nothing to say (a literal step,
    /// a bandwidth that could not be measured, a phase without traffic).
    static func roofFields(_ roofs: PhaseRoofs?) -> [String] {
        var fields = [roofs?.bandwidthGigabytesPerSecond.map { Format.fixed($0, 3) } ?? ""]
        for name in roofPhases {
            guard let phase = roofs?.phases.first(where: { $0.phase == name }) else {
                fields += Array(repeating: "", count: 5)
                continue
            }
            fields += [Format.fixed(phase.flops / 1e6, 3), Format.fixed(phase.bytes / 1e6, 4), Format.fixed(phase.intensity, 4),
                       phase.binding.rawValue, phase.fraction.map { Format.fixed($0, 4) } ?? ""]
        }
        let update = roofs?.phases.first { $0.phase == .update }
        fields.append(update?.bandwidthRatio.map { Format.fixed($0, 4) } ?? "")
        return fields
    }
}
