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
