#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Thinned

extension ScalePlot {
    /// The third panel: each series' measured speedups beside its predicted ones (the
    /// list-scheduling replay, a dashed line with squares; with the measured contention κ, a
    /// dotted line with triangles) and the band between the greedy
    /// bounds (lower bound on time → upper on speedup; the upper bound burdened with the joins),
    /// on a log₂ axis of workers up to the largest predicted count. Speedups are relative to the
    /// series' measured base step, as in the first panel.
    static func predictionPanel(_ report: ScaleStudy.Report, x: Double, y: Double) -> String {
        let counts = report.workSpans.flatMap { $0.predictions.map(\.workers) } + report.rows.map(\.threads)
        let top = Double(max(2, counts.max() ?? 2))
        var speedups: [Double] = [top]
        for w in report.workSpans {
            guard let base = baseSeconds(w) else { continue }
            speedups += w.predictions.map { base * Double(w.baseWorkers) / $0.lowerBoundSeconds }
        }
        let yMax = min(top, speedups.max() ?? top) * 1.05
        let panel = Panel(x: x, y: y, xMax: log2(top), yMax: yMax)
        func at(_ p: Double, _ s: Double) -> (Double, Double) { (log2(p), min(s, yMax)) }

        var svg = "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(panelWidth)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(x + panelWidth / 2)\" y=\"\(y - 12)\" text-anchor=\"middle\" font-size=\"14\">Measured and predicted speedup (work/span)</text>\n"
        svg += "<text x=\"\(x + panelWidth / 2)\" y=\"\(y + panelHeight + 32)\" text-anchor=\"middle\">cores (workers), log scale</text>\n"
        var tick = 1.0
        while tick <= top {
            let (tx, ty) = panel.point(log2(tick), 0)
            svg += "<line x1=\"\(tx)\" y1=\"\(ty)\" x2=\"\(tx)\" y2=\"\(ty + 5)\" stroke=\"#333\"/>"
            svg += "<text x=\"\(tx)\" y=\"\(ty + 18)\" text-anchor=\"middle\">\(Int(tick))</text>\n"
            tick *= 2
        }
        for step in 0...5 {
            let value = yMax * Double(step) / 5
            let (tx, ty) = panel.point(0, value)
            svg += "<line x1=\"\(tx - 5)\" y1=\"\(ty)\" x2=\"\(tx + panelWidth)\" y2=\"\(ty)\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(tx - 8)\" y=\"\(ty + 4)\" text-anchor=\"end\">\(Format.fixed(value, 1))</text>\n"
        }
        svg += panel.line(stride(from: 0.0, through: log2(top), by: log2(top) / 40).map { ($0, min(exp2($0), yMax)) },
                          color: "#888888", dash: "6,4")

        for (index, w) in report.workSpans.enumerated() {
            guard let base = baseSeconds(w) else { continue }
            let color = palette[report.series.firstIndex { $0.batch == w.batch && $0.bind == w.bind } ?? index % palette.count]
            let scale = base * Double(w.baseWorkers)
            let high = w.predictions.map { at(Double($0.workers), scale / $0.lowerBoundSeconds) }
            let low = w.predictions.map { at(Double($0.workers), scale / $0.burdenedUpperBoundSeconds) }
            let outline = (high + low.reversed()).map(panel.point).map { "\(Int($0.0 * 10) / 10),\(Int($0.1 * 10) / 10)" }
            svg += "<polygon points=\"\(outline.joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
            let predicted = w.predictions.map { at(Double($0.workers), scale / $0.predictedSeconds) }
            svg += panel.line(predicted, color: color, dash: "5,3")
            for (px, py) in predicted {
                let (cx, cy) = panel.point(px, py)
                svg += "<rect x=\"\(cx - 3)\" y=\"\(cy - 3)\" width=\"6\" height=\"6\" fill=\"white\" stroke=\"\(color)\"/>\n"
            }
            let contended = w.predictions.map { at(Double($0.workers), scale / $0.contendedSeconds) }
            svg += panel.line(contended, color: color, dash: "1,3")
            for (px, py) in contended {
                let (cx, cy) = panel.point(px, py)
                svg += "<path d=\"M \(cx) \(cy - 4) L \(cx + 4) \(cy + 3) L \(cx - 4) \(cy + 3) Z\" fill=\"white\" stroke=\"\(color)\"/>\n"
            }
            for row in report.rows where row.batch == w.batch && row.bind == w.bind {
                let (px, py) = at(Double(row.threads), row.speedup)
                svg += panel.dot(px, py, color: color)
            }
        }
        let note = "dots: measured; squares: replay; triangles: replay × κ; band: greedy bounds"
        svg += "<text x=\"\(x + panelWidth)\" y=\"\(y + panelHeight + 64)\" text-anchor=\"end\" fill=\"#555\">\(note)</text>\n"
        return svg
    }

    /// The series' measured step at its base worker count.
    private static func baseSeconds(_ w: WorkSpan) -> Double? {
        w.predictions.first { $0.workers == w.baseWorkers }?.measuredSeconds
    }
}
