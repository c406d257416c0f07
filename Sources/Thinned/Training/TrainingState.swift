import CSupport

/// Everything a run changes as it trains, in flat buffers sharing one `ParameterLayout`: the
/// parameters Θ, the last averaged gradient ∇_ave, the optimizer's state, and the step count.
public struct TrainingState: Sendable {
    /// Where each layer's weights and bias lie in every buffer.
    public let layout: ParameterLayout
    /// The parameters Θ.
    public var parameters: [Float]
    /// ∇_ave of the last step, on the literal path. The fused path applies each gradient tile
    /// from its worker's own buffer while it is in cache and leaves this untouched.
    public var gradient: [Float]
    /// The momentum buffer, or Adam's first moment m (empty for SGD).
    public var firstMoment: [Float]
    /// Adam's second moment v (empty otherwise).
    public var secondMoment: [Float]
    /// Updates applied so far; the next step is `step + 1`.
    public var step: Int

    /// A fresh run: initial parameters from the seed, zero optimizer state.
    public init(model: ModelConfiguration, optimizer: OptimizerConfiguration, seed: UInt64) {
        layout = ParameterLayout(widths: model.layers)
        parameters = model.initialParameters(seed: seed)
        gradient = [Float](repeating: 0, count: layout.count)
        firstMoment = [Float](repeating: 0, count: optimizer.stateBuffers >= 1 ? layout.count : 0)
        secondMoment = [Float](repeating: 0, count: optimizer.stateBuffers >= 2 ? layout.count : 0)
        step = 0
    }

    /// Runs `body` with raw pointers to every buffer, for the duration of one step.
    mutating func withPointers<R>(_ body: (StatePointers) -> R) -> R {
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeMutableBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        // nil for a buffer the optimizer does not have: an empty array's base
                        // address is Swift's shared empty storage, which nothing may read or prefetch.
                        body(StatePointers(theta: theta.baseAddress!, gradient: g.baseAddress!,
                                           first: m.isEmpty ? nil : m.baseAddress, second: v.isEmpty ? nil : v.baseAddress))
                    }
                }
            }
        }
    }
}

/// Raw views of a `TrainingState`'s buffers, valid inside `withPointers`.
struct StatePointers {
    let theta: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>
    let first: UnsafeMutablePointer<Float>?
    let second: UnsafeMutablePointer<Float>?

    /// Applies `update` to the parameters in `range`, from the gradient buffer.
    func apply(_ update: OptimizerUpdate, _ range: Range<Int>) {
        update.apply(range, theta: theta, gradient: gradient, first: first, second: second)
    }

    /// Asks for parameters `j ..< j + count` of θ and the optimizer's state to be brought into
    /// the cache, to be updated soon (a hint: it changes no value).
    func prefetch(_ j: Int, count: Int) {
        let bytes = count * MemoryLayout<Float>.stride
        thinned_prefetch(theta + j, bytes)
        if let first { thinned_prefetch(first + j, bytes) }
        if let second { thinned_prefetch(second + j, bytes) }
    }

    /// Applies `update` to the parameters in `range` from `gradient`, the gradient of element
    /// `range.lowerBound` and the ones after it (a tile held elsewhere).
    func apply(_ update: OptimizerUpdate, _ range: Range<Int>, gradient: UnsafePointer<Float>) {
        let j = range.lowerBound
        update.apply(count: range.count, theta: theta + j, gradient: gradient, first: OptimizerUpdate.offset(first, by: j),
                     second: OptimizerUpdate.offset(second, by: j))
    }
}
