/// What a random number is for; part of its counter, so that streams for different purposes
/// never overlap.
public enum RandomPurpose: UInt32, Sendable, CaseIterable {
    /// Drawing the initial weights (`ModelConfiguration.initialParameters(seed:)`).
    case initialWeights = 1
    /// Shuffling the training set each epoch (`EpochOrder`).
    case shuffle = 2
    /// Training dropout and DropConnect masks.
    case dropoutMask = 3
    /// Generating the synthetic data set (`DataSplit.synthetic`).
    case syntheticData = 4
    /// Monte-Carlo prediction masks (`InferenceRule.monteCarlo`).
    case inference = 5
    /// Random transforms of training images (`Augmentation`).
    case augmentation = 6
    /// Bootstrap resamples of an ensemble's members (`Ensemble.bootstrap`).
    case bagging = 7
    /// DP-SGD's Gaussian noise on the clipped gradient sum (`GaussianNoise`).
    case noise = 8
    /// Poisson sampling's choice of each step's batch (`PoissonBatches`).
    case batchSampling = 9
}
