import CKernels

/// One step's update, applied elementwise to any range of the parameters — a whole buffer, or
/// a tile of a weight matrix while its gradient is still in cache.
public struct OptimizerUpdate: Sendable {
    let kind: OptimizerKind
    let learningRate: Float, momentum: Float, beta1: Float, beta2: Float, epsilon: Float
    /// ρ / (1 − β₁ᵗ) for Adam.
    let stepSize: Float
    /// 1 / √(1 − β₂ᵗ) for Adam.
    let inverseRootCorrection2: Float

    /// Updates `theta[j]` from `gradient[j]` and the state for every `j` in `range`.
    /// `first` is the momentum buffer or Adam's m, `second` Adam's v.
    /// - Complexity: O(range.count); memory-bound (Adam streams four buffers).
    public func apply(_ range: Range<Int>, theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                      first: UnsafeMutablePointer<Float>?, second: UnsafeMutablePointer<Float>?) {
        let j = range.lowerBound
        apply(count: range.count, theta: theta + j, gradient: gradient + j, first: Self.offset(first, by: j),
              second: Self.offset(second, by: j))
    }

    /// `pointer + offset`, or nil when there is no such buffer.
    @inline(__always)
    static func offset(_ pointer: UnsafeMutablePointer<Float>?, by offset: Int) -> UnsafeMutablePointer<Float>? {
        if let pointer { pointer + offset } else { nil }
    }

    /// Updates `theta[j]` from `gradient[j]` and the state for every `j` in `0 ..< count`: each
    /// pointer at the first element it updates or reads, so the gradient may lie apart from the
    /// parameters (a tile in a worker's own buffer).
    ///
    /// Sixteen lanes at a time where the CPU has AVX-512, then one at a time (`CKernels`,
    /// optimizer_updates.h): the same IEEE operations in the same order for every element, so the
    /// bits depend neither on where a range starts nor on the CPU.
    /// - Complexity: O(count); memory-bound (Adam reads and writes θ, m and v).
    public func apply(count: Int, theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                      first: UnsafeMutablePointer<Float>?, second: UnsafeMutablePointer<Float>?) {
        switch kind {
        case .sgd:
            thinned_sgd_update(count, theta, gradient, learningRate)
        case .momentum:
            thinned_momentum_update(count, theta, gradient, first!, momentum, learningRate)
        case .adam:
            thinned_adam_update(count, theta, gradient, first!, second!, beta1, 1 - beta1, beta2, 1 - beta2, stepSize,
                                inverseRootCorrection2, epsilon)
        }
    }
}
