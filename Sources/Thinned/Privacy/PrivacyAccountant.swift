#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The privacy spent by DP-SGD: Rényi differential privacy of the sampled Gaussian mechanism,
/// composed over the steps and converted to (ε, δ).
///
/// A step of DP-SGD clips every sample's gradient to norm C, adds Gaussian noise of standard
/// deviation σ·C to their sum, and includes each example with probability q. Its RDP of order α
/// is log A_α / (α − 1), with A_α computed exactly for integer α (a binomial sum) and by the
/// series of Mironov, Talwar & Zhang for fractional α; RDP adds up over steps, and the best
/// order gives ε = rdp − (log δ + log α)/(α − 1) + log((α − 1)/α) (Balle et al., 2020).
/// This is the accountant Opacus 1.6 uses by default (`RDPAccountant`, `get_privacy_spent`),
/// over the same orders, so the two agree to rounding.
///
/// [RDP]: I. Mironov, K. Talwar, L. Zhang, "Rényi Differential Privacy of the Sampled Gaussian
/// Mechanism", arXiv:1908.10530, 2019.
/// [DP-SGD]: M. Abadi et al., "Deep Learning with Differential Privacy", CCS 2016.
public enum PrivacyAccountant {
    /// The orders α searched: 1.1, 1.2, …, 10.9, then 12, 13, …, 63 (Opacus's defaults).
    public static let orders: [Double] = (1...99).map { 1 + Double($0) / 10 } + (12...63).map(Double.init)

    /// The ε of (ε, δ)-DP after `steps` steps of the sampled Gaussian mechanism with sampling
    /// rate `q` and noise multiplier `sigma`, and the order that gives it.
    /// - Complexity: O(orders × terms); terms ≤ α + 1 for integer orders, a few hundred at most
    ///   for fractional ones.
    public static func epsilon(samplingRate q: Double, noiseMultiplier sigma: Double, steps: Int,
                               delta: Double) -> (epsilon: Double, order: Double) {
        precondition((0...1).contains(q), "PrivacyAccountant: sampling rate \(q) is not in [0, 1]")
        precondition(sigma >= 0, "PrivacyAccountant: noise multiplier \(sigma) is negative")
        precondition(delta > 0 && delta < 1, "PrivacyAccountant: δ = \(delta) is not in (0, 1)")
        precondition(steps >= 0, "PrivacyAccountant: \(steps) steps")
        var best = (epsilon: Double.infinity, order: orders[0])
        for alpha in orders {
            let rdp = Double(steps) * renyi(samplingRate: q, noiseMultiplier: sigma, order: alpha)
            let eps = rdp - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha)
            // An order whose series lost all precision (σ so small that its terms overflow) says nothing.
            if !eps.isNaN, eps < best.epsilon { best = (eps, alpha) }
        }
        // The conversion can go below 0 for δ near 1; no mechanism spends less than nothing.
        return (max(0, best.epsilon), best.order)
    }

    /// The RDP of order `alpha` of one step of the sampled Gaussian mechanism.
    static func renyi(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha == alpha.rounded() ? logAInteger(q, sigma, Int(alpha)) : logAFractional(q, sigma, alpha)
        return logA / (alpha - 1)
    }

    /// The most terms of the fractional-order series summed (a few hundred at most for any σ
    /// that protects anything).
    static let maximumTerms = 100_000

    /// log A_α for integer α: log Σᵢ C(α, i) qⁱ (1 − q)^(α−i) exp((i² − i)/(2σ²)).
    static func logAInteger(_ q: Double, _ sigma: Double, _ alpha: Int) -> Double {
        var logA = -Double.infinity
        for i in 0...alpha {
            let x = Double(i), a = Double(alpha)
            let logCoefficient = logBinomial(a, i) + x * log(q) + (a - x) * log(1 - q)
            logA = logAdd(logA, logCoefficient + (x * x - x) / (2 * sigma * sigma))
        }
        return logA
    }

    /// log A_α for fractional α: the two series of Mironov et al. (Section 3.3), summed until
    /// both terms fall below e⁻³⁰ — or +∞ when they have not after `maximumTerms` terms, or
    /// overflow (σ so small that the terms grow without bound: no privacy worth the name).
    static func logAFractional(_ q: Double, _ sigma: Double, _ alpha: Double) -> Double {
        var logA0 = -Double.infinity, logA1 = -Double.infinity
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        var coefficient = 1.0   // C(α, i), by the recurrence C(α, i + 1) = C(α, i)·(α − i)/(i + 1)
        var i = 0.0
        while true {
            let logCoefficient = log(abs(coefficient)), j = alpha - i
            let logT0 = logCoefficient + i * log(q) + j * log(1 - q)
            let logT1 = logCoefficient + j * log(q) + i * log(1 - q)
            let logE0 = log(0.5) + logErfc((i - z0) / (2.0.squareRoot() * sigma))
            let logE1 = log(0.5) + logErfc((z0 - j) / (2.0.squareRoot() * sigma))
            let logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0
            let logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1
            if coefficient > 0 {
                logA0 = logAdd(logA0, logS0)
                logA1 = logAdd(logA1, logS1)
            } else {
                logA0 = logSubtract(logA0, logS0)
                logA1 = logSubtract(logA1, logS1)
            }
            if max(logS0, logS1) < -30 { break }
            if !logS0.isFinite && logS0 > 0 || !logS1.isFinite && logS1 > 0 || i >= Double(maximumTerms) { return .infinity }
            coefficient *= (alpha - i) / (i + 1)
            i += 1
        }
        return logAdd(logA0, logA1)
    }

    /// log C(n, k) for real n ≥ k (integer k), through log Γ.
    static func logBinomial(_ n: Double, _ k: Int) -> Double {
        lgamma(n + 1) - lgamma(Double(k) + 1) - lgamma(n - Double(k) + 1)
    }

    /// log(eˣ + eʸ) without overflow.
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let (a, b) = (min(x, y), max(x, y))
        if a == -.infinity { return b }
        return log1p(exp(a - b)) + b
    }

    /// log(eˣ − eʸ) without overflow; −∞ where rounding has made y ≥ x (the difference is lost).
    static func logSubtract(_ x: Double, _ y: Double) -> Double {
        if y == -.infinity { return x }
        guard x > y else { return -.infinity }
        let d = x - y
        return d > 30 ? x + log1p(-exp(-d)) : log(expm1(d)) + y
    }

    /// log erfc(x), also where erfc(x) underflows (its asymptotic series beyond x = 25).
    static func logErfc(_ x: Double) -> Double {
        if x < 25 { return log(erfc(x)) }
        let r = 1 / (x * x)
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(1 - r / 2 + 3 * r * r / 4 - 15 * r * r * r / 8)
    }

    /// The smallest noise multiplier, to Opacus's tolerance, whose ε after `steps` steps at
    /// sampling rate `q` is at most `targetEpsilon`: Opacus 1.6's `get_noise_multiplier` —
    /// double σ from 20 until ε ≤ target, then bisect until ε is within `tolerance` below it (or,
    /// where floating point cannot get that close, for at most 200 halvings).
    /// Nil when no σ up to 10⁶ reaches the target.
    public static func noiseMultiplier(targetEpsilon: Double, delta: Double, samplingRate q: Double, steps: Int,
                                       tolerance: Double = 0.01) -> Double? {
        precondition(targetEpsilon > 0, "PrivacyAccountant: target ε \(targetEpsilon) must be positive")
        var low = 0.0, high = 10.0, epsilonHigh = Double.infinity
        while epsilonHigh > targetEpsilon {
            high *= 2
            if high > 1e6 { return nil }
            epsilonHigh = epsilon(samplingRate: q, noiseMultiplier: high, steps: steps, delta: delta).epsilon
        }
        var halvings = 0
        while targetEpsilon - epsilonHigh > tolerance && halvings < 200 {
            halvings += 1
            let sigma = (low + high) / 2
            let eps = epsilon(samplingRate: q, noiseMultiplier: sigma, steps: steps, delta: delta).epsilon
            if eps < targetEpsilon {
                high = sigma
                epsilonHigh = eps
            } else {
                low = sigma
            }
        }
        return high
    }
}
