/// Why a checkpoint cannot be written or used. Every case names the file and the field.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file or folder cannot be read (missing, not a regular file, no permission).
    case unreadable(path: String, reason: String)
    /// The checkpoint cannot be written there, or that path may not be replaced.
    case unwritable(path: String, reason: String)
    /// A safetensors file shorter than its 8-byte header length.
    case tooShort(path: String, bytes: Int)
    /// A safetensors header length beyond the bytes that follow it, or beyond the largest accepted.
    case headerLength(path: String, claimed: UInt64, available: Int)
    /// A safetensors header that is not the JSON object the format describes.
    case badHeader(path: String, reason: String)
    /// One tensor's header entry is wrong (dtype, shape, offsets).
    case badTensor(path: String, name: String, reason: String)
    /// Two tensors claim the same data bytes.
    case overlap(path: String, first: String, second: String)
    /// A tensor the model that the checkpoint describes needs is not in the file.
    case missingTensor(path: String, name: String)
    /// A tensor the model that the checkpoint describes has no place for.
    case unexpectedTensor(path: String, name: String)
    /// A tensor whose shape is not the one the model gives it.
    case shapeMismatch(path: String, name: String, found: [Int], expected: [Int])
    /// A field of the trainer state (or of format 1's `__metadata__`) that is missing, of the
    /// wrong type, out of range, or inconsistent with another.
    case badMetadata(path: String, field: String, reason: String)
    /// A NaN or an infinity in a tensor: in a file read, or in a state that is about to be written.
    case nonFinite(path: String, name: String, index: Int, value: Float)
    /// A NaN or an infinity in a number of the trainer state (`epoch_loss_sum`) about to be written.
    case nonFiniteField(path: String, field: String, value: Double)
    /// The model the checkpoint describes cannot be had in memory (or its size overflows).
    case tooLarge(path: String, reason: MemoryError)

    /// The path, the tensor or field, and what was expected.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): "\(path): cannot read the checkpoint: \(reason)"
        case let .unwritable(path, reason): "\(path): cannot write the checkpoint: \(reason)"
        case let .tooShort(path, bytes): "\(path): not a safetensors file: \(bytes) bytes, expected at least 8"
        case let .headerLength(path, claimed, available):
            "\(path): header length \(claimed) does not fit in the \(available) bytes after it"
        case let .badHeader(path, reason): "\(path): bad safetensors header: \(reason)"
        case let .badTensor(path, name, reason): "\(path): tensor '\(name)': \(reason)"
        case let .overlap(path, first, second): "\(path): tensors '\(first)' and '\(second)' overlap"
        case let .missingTensor(path, name): "\(path): missing tensor '\(name)'"
        case let .unexpectedTensor(path, name):
            "\(path): tensor '\(name)' has no place in the model the checkpoint describes"
        case let .shapeMismatch(path, name, found, expected):
            "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case let .badMetadata(path, field, reason): "\(path): metadata '\(field)': \(reason)"
        case let .nonFinite(path, name, index, value):
            "\(path): tensor '\(name)' holds \(value) at index \(index); a checkpoint holds finite values only"
        case let .nonFiniteField(path, field, value):
            "\(path): field '\(field)' is \(value); a checkpoint holds finite values only"
        case let .tooLarge(path, reason): "\(path): \(reason)"
        }
    }
}
