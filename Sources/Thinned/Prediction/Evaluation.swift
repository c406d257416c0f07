import RealModule

/// How well predicted probabilities fit a data set's labels.
public struct Evaluation: Sendable, Equatable, Codable {
    /// The number of items evaluated.
    public let count: Int
    /// The number of items whose predicted class is their label.
    public let correct: Int
    /// Mean negative log-likelihood (natural log) of the true labels.
    public let meanLoss: Double
    /// Expected calibration error over `calibrationBins` equal-width bins of confidence
    /// (Naeini et al., AAAI 2015; Guo et al., ICML 2017).
    public let calibrationError: Double
    /// `confusion[true][predicted]`.
    public let confusion: [[Int]]

    /// The fraction of items predicted right, `correct / count`; 0 for no items.
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }

    /// The number of equal-width confidence bins in [0, 1] of the calibration error.
    public static let calibrationBins = 15
    /// Probabilities are clamped to this before the log, so that a confident mistake costs a
    /// large but finite loss.
    static let smallestProbability = 1e-30

    /// The predicted class of one row of probabilities and its probability: the first most
    /// probable class (the lowest index among ties), NaN passed over; a row with nothing above −∞
    /// predicts class 0 with confidence −∞. Every prediction the engine and the command line
    /// report is made by this rule.
    public static func prediction(_ row: ArraySlice<Float>) -> (predicted: Int, confidence: Float) {
        var predicted = 0, confidence = -Float.infinity
        for (j, p) in row.enumerated() where p > confidence { predicted = j; confidence = p }
        return (predicted, confidence)
    }

    /// The metrics of `probabilities: [count, classes]` (row-major) against `labels`. The
    /// predicted class is the first most probable one (`prediction`).
    public init(probabilities: [Float], labels: [Int32], classes: Int) {
        precondition(probabilities.count == labels.count * classes,
                     "Evaluation: \(probabilities.count) probabilities for \(labels.count) items × \(classes) classes")
        var correct = 0, loss = 0.0
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var binCount = [Int](repeating: 0, count: Self.calibrationBins)
        var binCorrect = [Int](repeating: 0, count: Self.calibrationBins)
        var binConfidence = [Double](repeating: 0, count: Self.calibrationBins)
        for (i, label) in labels.enumerated() {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            let (predicted, confidence) = Self.prediction(row)
            let truth = Int(label)
            if predicted == truth { correct += 1 }
            confusion[truth][predicted] += 1
            loss -= Double.log(max(Double(row[row.startIndex + truth]), Self.smallestProbability))
            // A row with no finite probability (NaN weights) has confidence −∞ or NaN: it lands in
            // the lowest bin rather than trapping in the conversion to Int.
            let scaled = Double(confidence) * Double(Self.calibrationBins)
            let bin = scaled.isFinite ? min(Self.calibrationBins - 1, max(0, Int(scaled))) : 0
            binCount[bin] += 1
            binConfidence[bin] += scaled.isFinite ? Double(confidence) : 0
            if predicted == truth { binCorrect[bin] += 1 }
        }
        let n = Double(max(1, labels.count))
        self.count = labels.count
        self.correct = correct
        self.meanLoss = loss / n
        self.calibrationError = (0..<Self.calibrationBins).reduce(0) { sum, b in
            binCount[b] == 0 ? sum : sum + abs(Double(binCorrect[b]) - binConfidence[b]) / n
        }
        self.confusion = confusion
    }
}
