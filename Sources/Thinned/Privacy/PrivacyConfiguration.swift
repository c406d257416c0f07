/// Per-sample clipping, and DP-SGD's noise, applied to every step (Abadi et al., CCS 2016).
///
/// Each sample's whole gradient ∇ᵢ (every layer's weights and biases) is scaled by
/// min(1, C/‖∇ᵢ‖); Gaussian noise of standard deviation σ·C is added to every coordinate of the
/// sum of the clipped gradients, which is then divided by the batch size, as Opacus does. With
/// σ = 0 the steps clip and add nothing.
public struct PrivacyConfiguration: Hashable, Sendable, Codable {
    /// C: the largest norm a sample's gradient keeps.
    public var clipNorm: Float
    /// σ: the noise's standard deviation in units of C (0: clipping alone, no privacy).
    public var noiseMultiplier: Double
    /// δ of the (ε, δ) the run reports.
    public var delta: Double
    /// The key of the noise's Philox stream (`GaussianNoise`), apart from the run's seed: the
    /// seed is printed and shared, and noise anyone can regenerate from it protects nothing. So
    /// it is drawn from the operating system's random source unless given; a checkpoint records
    /// it (so a resumed run adds the noise the uninterrupted one would have), and whoever holds it
    /// can subtract the noise: it is as secret as the data.
    public var noiseSeed: UInt64

    /// The largest noise multiplier accepted (Opacus's search stops there too): beyond it the
    /// noise's scale σ·C/|𝔹| overflows nothing useful, only Float.
    public static let maximumNoiseMultiplier = 1e6

    /// Clipping to `clipNorm`, noise `noiseMultiplier`·C keyed by `noiseSeed` (default: a fresh
    /// secret from the system's random source), and ε reported for `delta` (default 10⁻⁵).
    public init(clipNorm: Float, noiseMultiplier: Double = 0, delta: Double = 1e-5, noiseSeed: UInt64 = .random(in: .min ... .max)) {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.delta = delta
        self.noiseSeed = noiseSeed
    }

    /// Whether the steps add noise: only then is there a privacy guarantee to report.
    public var addsNoise: Bool { noiseMultiplier > 0 }

    /// Checks every field, naming the option that sets it.
    public func validate() throws(ConfigurationError) {
        guard clipNorm.isFinite && clipNorm > 0 else {
            throw .invalid(option: "--clip", value: "\(clipNorm)", expected: "a finite norm above 0")
        }
        guard noiseMultiplier.isFinite && noiseMultiplier >= 0 && noiseMultiplier <= Self.maximumNoiseMultiplier else {
            throw .invalid(option: "--noise-multiplier", value: "\(noiseMultiplier)", expected: "a σ from 0 to 10⁶")
        }
        guard delta > 0 && delta < 1 else {
            throw .invalid(option: "--delta", value: "\(delta)", expected: "a probability in (0, 1)")
        }
    }

    /// The (ε, δ) spent after `steps` steps that each include an example with probability
    /// `samplingRate`, by the RDP accountant; nil without noise (no guarantee at all).
    public func epsilon(steps: Int, samplingRate: Double) -> (epsilon: Double, order: Double)? {
        guard addsNoise else { return nil }
        return PrivacyAccountant.epsilon(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, steps: steps, delta: delta)
    }
}

extension PrivacyConfiguration {
    /// The noise of step `step`, or nil when the steps add none.
    func noise(step: Int) -> GaussianNoise? {
        addsNoise ? GaussianNoise(generator: Philox(seed: noiseSeed), step: step) : nil
    }

    /// σ·C/|𝔹|: what each standard normal is multiplied by before it is added to ∇_ave, the
    /// clipped sum over `batchSize` (the expected batch size under Poisson sampling).
    func noiseScale(batchSize: Int) -> Float {
        Float(noiseMultiplier * Double(clipNorm) / Double(batchSize))
    }

    /// cᵢ = min(1, C/‖∇ᵢ‖): what a sample's gradient of norm `norm` is multiplied by (1 for a
    /// zero gradient).
    static func clipFactor(norm: Double, clipNorm: Double) -> Float {
        norm > clipNorm ? Float(clipNorm / norm) : 1
    }
}
