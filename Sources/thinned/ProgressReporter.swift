#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Thinned

/// Progress within an epoch on standard error: a live bar on a terminal, plain lines (every
/// tenth of an epoch) otherwise; in an MPI job from rank 0 alone.
final class ProgressReporter {
    let epochs: Int
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastTenth = 0
    private var lastDraw = 0.0

    init(epochs: Int) { self.epochs = epochs }

    /// Called after every step; draws at most ten times a second (terminal) or ten times an
    /// epoch (plain lines), and builds no text otherwise.
    func step(_ report: Trainer.StepReport) {
        // One voice in an MPI job: rank 0's.
        guard Launch.rank == 0 else { return }
        let fraction = Double(report.step) / Double(report.steps)
        if isTerminal {
            guard report.seconds - lastDraw >= 0.1 || report.step == report.steps else { return }
            lastDraw = report.seconds
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            StandardError.write("\r\u{1B}[K[\(bar)] \(text(report, fraction))")
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            StandardError.write(text(report, fraction) + "\n")
        }
    }

    private func text(_ report: Trainer.StepReport, _ fraction: Double) -> String {
        "epoch \(report.epoch)/\(epochs)  step \(report.step)/\(report.steps)  loss \(Format.fixed(Double(report.loss), 4))  "
            + "\(Format.fixed(report.samplesPerSecond, 0)) samples/s  ETA \(Self.format(seconds: report.seconds / fraction * (1 - fraction)))"
    }

    func finishEpoch() {
        if isTerminal, Launch.rank == 0 { StandardError.write("\r\u{1B}[K") }
        lastTenth = 0
        lastDraw = 0
    }

    static func format(seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let twoDigits = { (value: Int) in Format.right(value, 2, pad: "0") }
        return s >= 3600 ? "\(s / 3600):\(twoDigits(s / 60 % 60)):\(twoDigits(s % 60))" : "\(s / 60):\(twoDigits(s % 60))"
    }
}
