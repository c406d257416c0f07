#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Thinned

extension TrainCommand {
    /// Where a stopped run without `--checkpoint` is saved: `thinned-checkpoint`, or the first of
    /// `thinned-checkpoint-2`, `-3`, … that does not exist, so that no earlier run's checkpoint
    /// (or a file of the user's) is replaced.
    static func unusedDefaultPath() -> String {
        var path = "thinned-checkpoint", number = 1
        // lstat, not stat: a dangling link is taken too (saving through it would write elsewhere).
        var info = stat()
        while lstat(path, &info) == 0 {
            number += 1
            path = "thinned-checkpoint-\(number)"
        }
        return path
    }

    /// The command that continues a stopped run: the checkpoint holds the configuration, the data
    /// are named again (an older checkpoint does not record them).
    static func resumeCommand(path: String, epochs: Int, data: String, limit: Int?) -> String {
        var words = ["thinned", "train", "--resume", path, "--epochs", "\(epochs)"]
        if data != DataSplit.defaultDirectory { words += ["--data", data] }
        if let limit { words += ["--limit", "\(limit)"] }
        return words.map(Self.shellQuoted).joined(separator: " ")
    }

    /// `word` as a POSIX shell reads it back: bare when it is safe, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { $0.isAlphanumeric || "-_./,=:+@%".unicodeScalars.contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }
}

extension TrainCommand {
    /// Every rank must train the same run on the same data: each compares a hash of its
    /// configuration, data set and seed with rank 0's, and all fail together when one differs.
    static func requireAgreement(_ communicator: Communicator, configuration: TrainingConfiguration, identity: DatasetIdentity,
                                 split: DataSplit, noiseSeedGiven: Bool) throws {
        guard communicator.size > 1 else { return }
        // The checkpoint's text of the configuration (one text for one configuration) and the
        // data's digest.
        // The noise's key is compared only where it was given: a drawn one is rank 0's for all.
        var compared = configuration
        if compared.privacy != nil, !noiseSeedGiven { compared.privacy?.noiseSeed = 0 }
        let text = "\(Checkpoint.json(compared).encoded)|\(identity.digest)|\(split.train.count)|\(split.test.count)"
        if Launch.differs(text, communicator) {
            throw CommandFailure("the ranks' configurations or data differ from rank 0's (each rank must be started with the same options and data); this rank has \(identity.source) (\(split.train.count) training samples, digest \(identity.digest.prefix(12))…) and \(Checkpoint.json(compared).encoded)")
        }
    }
}
