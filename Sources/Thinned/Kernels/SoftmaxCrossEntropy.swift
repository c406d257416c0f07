#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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
}
