import Crypto

/// What a run trains on, recorded in its checkpoint so that a resume on other data is refused
/// rather than silently trained: where the data came from, which files, how many samples, and a
/// digest of every training and test sample as the run sees them (after `--limit`).
public struct DatasetIdentity: Hashable, Sendable, Codable {
    /// The `--data` value: a folder, or `synthetic`.
    public var source: String
    /// The files read, by name (empty for synthetic data).
    public var files: [String]
    /// `--limit`, when given.
    public var limit: Int?
    /// The number of training samples.
    public var trainCount: Int
    /// The number of test samples.
    public var testCount: Int
    /// SHA-256, in hex, of the training images (Float32, little-endian) and labels (Int32), then
    /// the test images and labels.
    public var digest: String

    /// An identity from its recorded parts (as a checkpoint stores them).
    public init(source: String, files: [String], limit: Int?, trainCount: Int, testCount: Int, digest: String) {
        self.source = source
        self.files = files
        self.limit = limit
        self.trainCount = trainCount
        self.testCount = testCount
        self.digest = digest
    }

    /// The identity of `split`, loaded from `source` with `limit`.
    public init(_ split: DataSplit, source: String, limit: Int?) {
        var hash = SHA256()
        for dataset in [split.train, split.test] {
            dataset.images.withUnsafeBytes { hash.update(bufferPointer: $0) }
            dataset.labels.withUnsafeBytes { hash.update(bufferPointer: $0) }
        }
        self.init(source: source, files: split.files, limit: limit, trainCount: split.train.count,
                  testCount: split.test.count, digest: Trainer.hex(hash.finalize()))
    }
}
