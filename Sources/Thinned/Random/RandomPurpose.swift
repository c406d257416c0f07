/// What a random number is for; part of its counter, so that streams for different purposes
/// never overlap.
public enum RandomPurpose: UInt32, Sendable, CaseIterable {
    case initialWeights = 1
    case shuffle = 2
    case dropoutMask = 3
    case syntheticData = 4
    case inference = 5
    case augmentation = 6
    case bagging = 7
}
