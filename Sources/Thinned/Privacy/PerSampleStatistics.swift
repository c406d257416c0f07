/// What an epoch's per-sample gradients looked like: the spread of their norms, how many were
/// clipped, and the gradient noise scale.
public struct PerSampleStatistics: Sendable, Codable, Equatable {
    /// Quantiles of the per-sample gradient norms (before clipping) over the epoch's samples:
    /// min, 10 %, 50 %, 90 %, max, each by linear interpolation between the sorted norms.
    public let normQuantiles: [Double]
    /// The fraction of the epoch's samples whose gradient norm exceeded the clipping norm (nil
    /// without clipping).
    public let clippedFraction: Double?
    /// B_simple = tr(Σ)/|G|² (McCandlish et al., "An Empirical Model of Large-Batch Training",
    /// 2018, Appendix A): the batch size at which the gradient's noise and signal are equal,
    /// from the unbiased estimates |G|² ≈ (B|G_B|² − S)/(B − 1) and tr(Σ) ≈ B(S − |G_B|²)/(B − 1)
    /// of each step of B ≥ 2 samples, where S is the mean of the squared per-sample norms of the
    /// batch and |G_B|² the squared norm of its mean, each averaged over the epoch's steps before
    /// the ratio is taken (the ratio of averages, as McCandlish et al. advise, not the average of
    /// noisy ratios). The gradients are
    /// those the optimizer sums: clipped, when the run clips, and without DP noise. Nil when the
    /// estimate of |G|² is not positive (the noise swamps the signal at this batch size).
    public let noiseScale: Double?
    /// The samples the figures are over.
    public let samples: Int

    /// The quantiles reported, as fractions.
    public static let quantileLevels = [0.0, 0.1, 0.5, 0.9, 1.0]
}

/// Gathers per-sample statistics step by step over an epoch.
struct PerSampleAccumulator {
    let batchSize: Int
    let clipNorm: Double?
    private(set) var norms: [Float] = []
    private var clipped = 0
    private var signalSum = 0.0, traceSum = 0.0
    private var steps = 0

    init(batchSize: Int, clipNorm: Double?) {
        self.batchSize = batchSize
        self.clipNorm = clipNorm
    }

    /// Adds one step of `count` samples: their norms before clipping, and the squared norm of
    /// the step's gradient sum divided by the batch size `batchSize` (clipped, without noise) —
    /// for a Poisson batch of another size, rescaled here to the squared norm of its mean.
    mutating func add(norms sampleNorms: UnsafePointer<Float>, count: Int, batchGradientSquaredNorm: Double) {
        var squares = 0.0
        for i in 0..<count {
            let norm = Double(sampleNorms[i])
            norms.append(sampleNorms[i])
            let kept = clipNorm.map { min(norm, $0) } ?? norm
            if let clipNorm, norm > clipNorm { clipped += 1 }
            squares += kept * kept
        }
        steps += 1
        guard count >= 2 else { return }
        let b = Double(count), s = squares / b
        let m = batchGradientSquaredNorm * (Double(batchSize) / b) * (Double(batchSize) / b)
        signalSum += (b * m - s) / (b - 1)
        traceSum += b * (s - m) / (b - 1)
    }

    /// The epoch's statistics; nil when no step was added.
    func statistics() -> PerSampleStatistics? {
        guard steps > 0, !norms.isEmpty else { return nil }
        let sorted = norms.sorted()
        let quantiles = PerSampleStatistics.quantileLevels.map { level -> Double in
            let position = level * Double(sorted.count - 1), below = Int(position.rounded(.down))
            let above = min(below + 1, sorted.count - 1), fraction = position - Double(below)
            return Double(sorted[below]) + (Double(sorted[above]) - Double(sorted[below])) * fraction
        }
        let noiseScale: Double? = signalSum > 0 ? traceSum / signalSum : nil
        return PerSampleStatistics(normQuantiles: quantiles, clippedFraction: clipNorm.map { _ in Double(clipped) / Double(norms.count) },
                                   noiseScale: noiseScale, samples: norms.count)
    }
}
