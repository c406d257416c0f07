/// Why a run cannot go on.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A step's loss was NaN or infinite: the weights or the gradient blew up.
    case diverged(epoch: Int, step: Int, loss: Float)
    /// Every step's loss was finite, but at the end of epoch `epoch` the weights are not, or they
    /// are so large that the test set's predictions are not numbers.
    case unusableWeights(epoch: Int, reason: String)
    /// `--reduce exact` met a finite gradient value beyond the bound its scale was chosen from at
    /// epoch `epoch`, step `step`: the sum would have overflowed, so nothing was applied.
    case exactOverflow(epoch: Int, step: Int)

    /// The message `thinned` prints: what went wrong, that nothing more is saved, and what to try.
    public var description: String {
        switch self {
        case let .diverged(epoch, step, loss):
            "training diverged: the loss of epoch \(epoch), step \(step) is \(loss.isNaN ? "NaN" : "\(loss)"); the weights are no longer finite, and nothing is saved from here on. Try a lower --lr (or --optimizer adam)."
        case let .exactOverflow(epoch, step):
            "--reduce exact: at epoch \(epoch), step \(step) a gradient value exceeded the bound its fixed-point scale was chosen from, so the integer sum could overflow; the step was not applied and nothing is saved from here on. This is a defect in thinned: please report it with the command; --reduce tiles avoids it on one process."
        case let .unusableWeights(epoch, reason):
            "training diverged: after epoch \(epoch) \(reason), and nothing is saved from here on. Try a lower --lr (or --optimizer adam)."
        }
    }
}
