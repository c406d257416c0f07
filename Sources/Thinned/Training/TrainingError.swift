/// Why a run cannot go on.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A step's loss was NaN or infinite: the weights or the gradient blew up.
    case diverged(epoch: Int, step: Int, loss: Float)

    public var description: String {
        switch self {
        case let .diverged(epoch, step, loss):
            "training diverged: the loss of epoch \(epoch), step \(step) is \(loss.isNaN ? "NaN" : "\(loss)"); the weights are no longer finite, so nothing was saved after the last good checkpoint. Try a lower --lr (or --optimizer adam)."
        }
    }
}
