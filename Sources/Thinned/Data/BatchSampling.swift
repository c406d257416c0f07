/// How each step chooses its batch.
public enum BatchSampling: String, CaseIterable, Sendable, Codable {
    /// Every epoch a fresh shuffle of the training set, cut into full batches of the batch size
    /// (`EpochOrder`): every example once per epoch.
    case shuffle
    /// Every step includes each example independently with probability q = batch/N, so batch
    /// sizes vary around the batch size (`PoissonBatches`): what the privacy accountant's
    /// guarantee assumes (Abadi et al., 2016; Mironov, Talwar & Zhang, 2019).
    case poisson
}
