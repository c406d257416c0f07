/// How a trained network predicts (course notes §5.4.4: weight scaling mimics the ensemble of
/// thinned networks; Monte-Carlo averaging estimates its mean; a tiny net can be enumerated).
public enum InferenceRule: Sendable, Equatable {
    /// No mask; each layer's input multiplied by its keep probability for vanilla dropout
    /// (weight scaling), unchanged for inverted dropout.
    case weightScaling
    /// The mean of the softmax over `samples` masked passes, masks drawn from the seed
    /// (purpose `inference`, pass number, item, layer), so repeatable.
    case monteCarlo(samples: Int)
    /// The true ensemble mean E_z[softmax(f(x, z))], enumerating every mask of the droppable units.
    case exact
}

/// How well predicted probabilities fit a data set's labels.
public struct Evaluation: Sendable, Equatable, Codable {
    public let count: Int
    public let correct: Int
    /// Mean negative log-likelihood (natural log) of the true labels.
    public let meanLoss: Double
    /// Expected calibration error over `calibrationBins` equal-width bins of confidence
    /// (Naeini et al., AAAI 2015; Guo et al., ICML 2017).
    public let calibrationError: Double
    /// `confusion[true][predicted]`.
    public let confusion: [[Int]]

    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }

    public static let calibrationBins = 15
    /// Probabilities are clamped to this before the log, so that a confident mistake costs a
    /// large but finite loss.
    static let smallestProbability = 1e-30

    /// The metrics of `probabilities: [count, classes]` (row-major) against `labels`. The
    /// predicted class is the first most probable one.
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
            var predicted = 0, confidence = -Float.infinity
            for (j, p) in row.enumerated() where p > confidence { predicted = j; confidence = p }
            let truth = Int(label)
            if predicted == truth { correct += 1 }
            confusion[truth][predicted] += 1
            loss -= Foundation.log(max(Double(row[row.startIndex + truth]), Self.smallestProbability))
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

import Foundation
import Parallel

extension Checkpoint {
    /// The predicted probabilities of the checkpoint's parameters on `dataset` by `rule`, on
    /// `pool`, `[count, classes]` row-major. Monte-Carlo masks come from `seed` (default: the
    /// run's own).
    public func probabilities(_ dataset: Dataset, rule: InferenceRule, pool: WorkerPool, seed: UInt64? = nil) -> [Float] {
        let network = Network(model: configuration.model, seed: seed ?? configuration.seed)
        return Evaluator(network: network, pool: pool).probabilities(dataset, parameters: state.parameters, rule: rule)
    }

    /// Accuracy, mean negative log-likelihood, calibration error and confusion matrix on `dataset`.
    public func evaluate(_ dataset: Dataset, rule: InferenceRule, pool: WorkerPool, seed: UInt64? = nil) -> Evaluation {
        Evaluation(probabilities: probabilities(dataset, rule: rule, pool: pool, seed: seed), labels: dataset.labels,
                   classes: configuration.model.classes)
    }
}
