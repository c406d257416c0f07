/// How the initial weights are drawn. Biases start at zero.
public enum WeightInitialization: String, CaseIterable, Sendable, Codable {
    /// Xavier/Glorot uniform: U(−a, a), a = √(6 / (fan_in + fan_out)) (Glorot & Bengio, AISTATS 2010).
    case xavier
    /// He/Kaiming uniform for ReLU: U(−a, a), a = √(6 / fan_in) (He et al., ICCV 2015).
    case he
}
