/// Why an IDX data file cannot be used. Every case names the file and what was expected.
public enum IDXError: Error, CustomStringConvertible, Equatable {
    /// The data folder does not exist or is not a folder.
    case missingDirectory(path: String)
    /// The folder has neither `name` nor `name.gz`.
    case missingFile(directory: String, name: String)
    /// The file (or folder) cannot be reached, opened or read; `reason` says why, mostly in the
    /// system's words.
    case unreadable(path: String, reason: String)
    /// The first four bytes are not the magic of the expected kind of file (images or labels).
    case badMagic(path: String, found: UInt32, expected: UInt32)
    /// A raw file shorter than its header says.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// Bytes follow the payload the header declares.
    case tooLong(path: String, expectedBytes: Int)
    /// The header's dimensions overflow `Int`, or (gzipped) more than deflate can expand the file to.
    case implausibleSize(path: String, dimensions: [Int])
    /// The images do not have the number of pixels the model's input width asks for.
    case shapeMismatch(path: String, found: String, expected: String)
    /// Label `label` of item `index` is not below the model's number of classes.
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    /// The images file and the labels file hold different numbers of items.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// The gzip stream is damaged: a bad header, bad deflate data, a CRC-32 or length trailer
    /// that does not match, or a member cut short.
    case corruptGzip(path: String, reason: String)
    /// Bytes follow the last gzip member that are not another gzip member.
    case trailingData(path: String, bytes: Int)
    /// The declared size cannot be had (or overflows); the error names the file.
    case tooLarge(MemoryError)

    /// The message `thinned` prints: the file, and what was found against what was expected.
    public var description: String {
        switch self {
        case let .missingDirectory(path):
            return "\(path.isEmpty ? "''" : path): no such data folder (expected a folder with the four IDX files of MNIST or Fashion-MNIST)"
        case let .missingFile(directory, name):
            return "\(directory): missing \(name) (or \(name).gz)"
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .badMagic(path, found, expected):
            return "\(path): not an IDX file of the expected kind: magic 0x\(hex(found)), expected 0x\(hex(expected))"
        case let .truncated(path, expected, actual):
            return "\(path): truncated: expected \(expected) bytes, found \(actual)"
        case let .tooLong(path, expected):
            return "\(path): longer than its header says (expected \(expected) bytes)"
        case let .implausibleSize(path, dimensions):
            return "\(path): header claims dimensions \(dimensions), larger than the file can hold"
        case let .shapeMismatch(path, found, expected):
            return "\(path): \(found), expected \(expected)"
        case let .labelOutOfRange(path, index, label, classes):
            return "\(path): label \(label) of item \(index) is out of range (the model has \(classes) classes: 0...\(classes - 1))"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) has \(imageCount) images but \(labels) has \(labelCount) labels"
        case let .corruptGzip(path, reason):
            return "\(path): corrupt gzip data: \(reason)"
        case let .trailingData(path, bytes):
            return "\(path): \(bytes) bytes after the end of the gzip stream (expected nothing, or another gzip member)"
        case let .tooLarge(error):
            return error.description
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
