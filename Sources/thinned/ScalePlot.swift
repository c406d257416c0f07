import Thinned

/// The scaling report as an SVG picture: speedup against cores (with the ideal line and each
/// series' Amdahl fit) beside parallel efficiency against cores, and, when the study predicted,
/// measured beside predicted speedups (`ScalePlot+Predictions.swift`).
enum ScalePlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
    static let panelWidth = 420.0, panelHeight = 300.0, margin = 56.0

    static func svg(_ report: ScaleStudy.Report) -> String {
        let maxThreads = Double(max(2, report.rows.map(\.threads).max() ?? 2))
        let maxSpeedup = max(maxThreads, report.rows.map(\.speedup).max() ?? 1) * 1.05
        let panels = report.workSpans.isEmpty ? 2.0 : 3.0
        let width = panels * (panelWidth + margin) + margin, height = panelHeight + 2 * margin + 24 * Double(report.series.count) + 20
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>

            """
        let speedup = Panel(x: margin, y: margin, xMax: maxThreads, yMax: maxSpeedup)
        let efficiency = Panel(x: 2 * margin + panelWidth, y: margin, xMax: maxThreads, yMax: 1.1)
        svg += speedup.axes(title: "Speedup vs cores", yLabel: "speedup", ticks: report.rows.map(\.threads))
        svg += efficiency.axes(title: "Parallel efficiency vs cores", yLabel: "efficiency", ticks: report.rows.map(\.threads))
        svg += speedup.line([(1, 1), (maxThreads, maxThreads)], color: "#888888", dash: "6,4")
        svg += efficiency.line([(0, 1), (maxThreads, 1)], color: "#888888", dash: "6,4")

        for (index, series) in report.series.enumerated() {
            let color = palette[index % palette.count]
            let rows = report.rows.filter { $0.batch == series.batch && $0.executor == series.executor && $0.bind == series.bind }.sorted { $0.threads < $1.threads }
            svg += speedup.line(rows.map { (Double($0.threads), $0.speedup) }, color: color)
            svg += efficiency.line(rows.map { (Double($0.threads), $0.efficiency) }, color: color)
            for row in rows {
                svg += speedup.dot(Double(row.threads), row.speedup, color: color)
                svg += efficiency.dot(Double(row.threads), row.efficiency, color: color)
            }
            var label = "batch \(series.batch), \(series.runLabel)"
            if let fit = series.fit, let base = rows.first {
                // The fit's speedup, relative to the same baseline as the measured points.
                let points = stride(from: 1.0, through: maxThreads, by: maxThreads / 60).map { p in
                    (p, fit.seconds(threads: base.threads) / (fit.serialSeconds + fit.parallelSeconds / p) * Double(base.threads))
                }
                svg += speedup.line(points, color: color, dash: "2,3")
                label += ": Amdahl serial fraction \(Format.fixed(fit.serialFraction, 3)), ceiling "
                    + (fit.speedupCeiling.map { Format.fixed($0, 1) + "×" } ?? "none")
            }
            let y = margin + panelHeight + 44 + 20 * Double(index)
            svg += "<line x1=\"\(margin)\" y1=\"\(y - 4)\" x2=\"\(margin + 24)\" y2=\"\(y - 4)\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(margin + 32)\" y=\"\(y)\">\(escape(label))</text>\n"
        }
        if !report.workSpans.isEmpty { svg += predictionPanel(report, x: 3 * margin + 2 * panelWidth, y: margin) }
        let note = "dashed grey: ideal; dotted: Amdahl fit T(p) = a + b/p"
        svg += "<text x=\"\(width - margin)\" y=\"\(margin + panelHeight + 44)\" text-anchor=\"end\" fill=\"#555\">\(note)</text>\n"
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;")
    }

    /// One plot area: data coordinates (0…xMax, 0…yMax) mapped into a rectangle.
    struct Panel {
        let x, y, xMax, yMax: Double

        func point(_ px: Double, _ py: Double) -> (Double, Double) {
            (x + px / xMax * panelWidth, y + panelHeight - py / yMax * panelHeight)
        }

        func axes(title: String, yLabel: String, ticks: [Int]) -> String {
            var out = "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(panelWidth)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(x + panelWidth / 2)\" y=\"\(y - 12)\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
            out += "<text x=\"\(x + panelWidth / 2)\" y=\"\(y + panelHeight + 32)\" text-anchor=\"middle\">cores (workers)</text>\n"
            out += "<text x=\"\(x - 40)\" y=\"\(y + panelHeight / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 \(x - 40) \(y + panelHeight / 2))\">\(yLabel)</text>\n"
            for tick in Set(ticks).sorted() {
                let (tx, ty) = point(Double(tick), 0)
                out += "<line x1=\"\(tx)\" y1=\"\(ty)\" x2=\"\(tx)\" y2=\"\(ty + 5)\" stroke=\"#333\"/>"
                out += "<text x=\"\(tx)\" y=\"\(ty + 18)\" text-anchor=\"middle\">\(tick)</text>\n"
            }
            for step in 0...5 {
                let value = yMax * Double(step) / 5
                let (tx, ty) = point(0, value)
                out += "<line x1=\"\(tx - 5)\" y1=\"\(ty)\" x2=\"\(tx + panelWidth)\" y2=\"\(ty)\" stroke=\"#eee\"/>"
                out += "<text x=\"\(tx - 8)\" y=\"\(ty + 4)\" text-anchor=\"end\">\(Format.fixed(value, yMax < 3 ? 2 : 1))</text>\n"
            }
            return out
        }

        func line(_ points: [(Double, Double)], color: String, dash: String? = nil) -> String {
            guard points.count >= 2 else { return "" }
            let coordinates = points.map { point($0.0, min($0.1, yMax)) }.map { "\(Int($0.0 * 10) / 10),\(Int($0.1 * 10) / 10)" }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") points=\"\(coordinates.joined(separator: " "))\"/>\n"
        }

        func dot(_ px: Double, _ py: Double, color: String) -> String {
            let (cx, cy) = point(px, min(py, yMax))
            return "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"4\" fill=\"\(color)\"/>\n"
        }
    }
}
