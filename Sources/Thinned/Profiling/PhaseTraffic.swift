/// The analytic cost of one fused training step, per phase: the floating-point operations and
/// the bytes that must cross the memory bus, from the layer shapes, the batch and the optimizer.
///
/// The model, for a batch of B samples and a layer of `in` inputs and `out` outputs (Floats,
/// 4 bytes), counting each GEMM as its operands read once and its result written once:
/// - forward, every layer: Y[B, out] = X[B, in]·Wᵀ: 2·B·in·out flops, 4·(B·in + in·out + B·out) bytes;
/// - backward (the deltas of the layer below), every layer but the first:
///   ΔX[B, in] = ΔY[B, out]·W: 2·B·in·out flops, 4·(B·out + out·in + B·in) bytes;
/// - parameter (the weight gradient), every layer: ∇W[out, in] = ΔYᵀ·X: 2·B·in·out flops and
///   4·(B·out + B·in) bytes — the gradient tile is applied while it is still in cache, so its
///   result costs no memory traffic;
/// - update, every parameter (weights and biases): the optimizer streams its state, read and
///   written: SGD θ (8 bytes, 2 flops per parameter), momentum θ and v (16 bytes, 4 flops), Adam
///   θ, m and v (24 bytes, 13 flops).
///
/// The elementwise passes (input masks, bias, ReLU, the next layer's mask, softmax) work on tiles
/// a GEMM has just written, in cache, and their flops are not counted: the flops are exactly the
/// products' (`ModelConfiguration.trainingFlopsPerSample` × B, over the first three phases).
public struct PhaseTraffic: Sendable, Codable, Equatable {
    /// The phases of a step, as `StepProfile` splits a worker's busy time.
    public enum Phase: String, Sendable, Codable, CaseIterable {
        /// The forward pass: masks, GEMMs, bias, ReLU, softmax.
        case forward
        /// The deltas of the layers below.
        case backward
        /// The weight-gradient products.
        case parameter
        /// The optimizer's update.
        case update
    }

    /// Which phase.
    public let phase: Phase
    /// Floating-point operations per step.
    public let flops: Double
    /// Bytes per step that the model says cross the memory bus.
    public let bytes: Double

    /// A phase's cost.
    public init(phase: Phase, flops: Double, bytes: Double) {
        self.phase = phase
        self.flops = flops
        self.bytes = bytes
    }

    /// Arithmetic intensity, flops per byte (0 for a phase that moves nothing).
    public var intensity: Double { bytes > 0 ? flops / bytes : 0 }

    /// Bytes of optimizer state streamed per parameter by an update: every buffer read and written.
    public static func updateBytesPerParameter(_ kind: OptimizerKind) -> Int {
        switch kind {
        case .sgd: 8
        case .momentum: 16
        case .adam: 24
        }
    }

    /// Flops per parameter of an update (as `OptimizerUpdate.apply` computes it).
    public static func updateFlopsPerParameter(_ kind: OptimizerKind) -> Int {
        switch kind {
        case .sgd: 2        // θ − ρ·g
        case .momentum: 4   // μ·v + g; θ − ρ·v
        case .adam: 13      // m: 3, v: 4, θ − step·m / (√v·r + ε): 6
        }
    }

    /// The four phases of a fused step of `model` at batch `batch` with `optimizer`.
    public static func model(_ model: ModelConfiguration, batch: Int, optimizer: OptimizerKind) -> [PhaseTraffic] {
        let b = Double(batch), float = Double(MemoryLayout<Float>.stride)
        var forward = (flops: 0.0, bytes: 0.0), backward = forward, parameter = forward
        for (l, (inputs, outputs)) in zip(model.layers, model.layers.dropFirst()).enumerated() {
            let i = Double(inputs), o = Double(outputs)
            forward.flops += 2 * b * i * o
            forward.bytes += float * (b * i + i * o + b * o)
            if l > 0 {
                backward.flops += 2 * b * i * o
                backward.bytes += float * (b * o + o * i + b * i)
            }
            parameter.flops += 2 * b * i * o
            parameter.bytes += float * (b * o + b * i)
        }
        let parameters = Double(ParameterLayout(widths: model.layers).count)
        return [
            PhaseTraffic(phase: .forward, flops: forward.flops, bytes: forward.bytes),
            PhaseTraffic(phase: .backward, flops: backward.flops, bytes: backward.bytes),
            PhaseTraffic(phase: .parameter, flops: parameter.flops, bytes: parameter.bytes),
            PhaseTraffic(phase: .update, flops: parameters * Double(updateFlopsPerParameter(optimizer)),
                         bytes: parameters * Double(updateBytesPerParameter(optimizer))),
        ]
    }
}
