/// The update rule applied to the averaged gradient ∇_ave once per step.
public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    /// Θ ← Θ − ρ·∇.
    case sgd
    /// v ← μ·v + ∇; Θ ← Θ − ρ·v (PyTorch's `SGD(momentum=μ)`, no dampening).
    case momentum
    /// Adam with bias correction (Kingma & Ba, ICLR 2015), as PyTorch's `Adam` computes it.
    case adam
}
