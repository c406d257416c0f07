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
                                 split: DataSplit) throws {
        guard communicator.size > 1 else { return }
        let text = "\(configuration)|\(identity)|\(split.train.count)|\(split.test.count)"
        // FNV-1a: a check that two ranks were given the same, not a defence against anyone.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var rankZero = hash
        withUnsafeMutableBytes(of: &rankZero) { communicator.broadcast($0) }
        let differs = rankZero != hash
        if communicator.any(differs) {
            throw CommandFailure(differs
                ? "this rank's configuration, data or seed differ from rank 0's (each rank must be started with the same options and data); this rank has: \(configuration), \(identity), \(split.train.count) training samples"
                : "another rank's configuration, data or seed differ from rank 0's; every rank must be started with the same options and data")
        }
    }
}
