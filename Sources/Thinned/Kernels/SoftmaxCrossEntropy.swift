#if canImport(Glibc)
import Glibc
#endif

/// The output layer's loss: softmax over the logits, then the negative log-likelihood of the label.
public enum SoftmaxCrossEntropy {
    /// Adds the bias to one row of logits, replaces them by the gradient of the sample's loss
    /// with respect to them, `softmax(s) − onehot(label)`, and returns the loss
    /// `log Σ exp(s) − s[label]` (computed with the maximum subtracted, so it never overflows).
    public static func lossAndDelta(logits s: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>,
                                    classes: Int, label: Int) -> Float {
        let loss = probabilities(logits: s, bias: b, classes: classes, label: label)
        s[label] -= 1
        return loss
    }

    /// Adds the bias to one row of logits, replaces them by the softmax probabilities and returns
    /// the loss of `label`.
    public static func probabilities(logits s: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>,
                                     classes: Int, label: Int) -> Float {
        var top = -Float.infinity
        for j in 0..<classes {
            s[j] += b[j]
            top = max(top, s[j])
        }
        let shiftedLabel = s[label] - top
        var sum: Float = 0
        for j in 0..<classes {
            s[j] = expf(s[j] - top)
            sum += s[j]
        }
        let inverse = 1 / sum
        for j in 0..<classes { s[j] *= inverse }
        return logf(sum) - shiftedLabel
    }

    /// The loss alone, for prediction: `log Σ exp(s) − s[label]`; also returns the arg max (the
    /// first one on ties).
    public static func loss(logits s: UnsafePointer<Float>, classes: Int, label: Int) -> (loss: Float, predicted: Int) {
        var top = -Float.infinity, predicted = 0
        for j in 0..<classes where s[j] > top { top = s[j]; predicted = j }
        var sum: Float = 0
        for j in 0..<classes { sum += expf(s[j] - top) }
        return (logf(sum) - (s[label] - top), predicted)
    }
}
