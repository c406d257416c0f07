#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a checkpoint lives on disk and how a save replaces it as a whole.
///
/// A save writes every file into a temporary folder beside the destination,
/// `PARENT/.NAME.tmp-PID`, flushes each file and the folder, then exchanges the folder with the
/// destination in one step (`renameat2(…, RENAME_EXCHANGE)`; a plain `rename` on the first save),
/// removes what was swapped out, and flushes the parent folder. At every instant `NAME` is
/// either the previous checkpoint or the new one, complete.
///
/// On a file system without `RENAME_EXCHANGE` the old checkpoint is first renamed to
/// `.NAME.old-PID`, then the new one into place: between the two renames `NAME` is missing but
/// the previous checkpoint is intact beside it, and the next `prepare` (or a read) puts it back.
///
/// Temporaries of a process that was killed (`kill -9` during a save) are removed by the next
/// save or `prepare` once their PID is no longer alive.
public enum CheckpointFolder {
    /// The model's weights, as `nn.Sequential`'s `state_dict`.
    public static let modelFile = "model.safetensors"
    /// The optimizer's state.
    public static let optimizerFile = "optimizer.safetensors"
    /// What defines the run and where it stands; its presence marks a folder as a checkpoint.
    public static let trainerStateFile = "trainer_state.json"

    /// `renameat2`'s flag that swaps two paths atomically (Linux ≥ 3.15; `<linux/fs.h>`).
    static let renameExchange: UInt32 = 1 << 1

    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc declares `renameat2` only under `_GNU_SOURCE`, which Swift's Glibc module does not
    /// define, so it is looked up by name (nil on a C library without it, and off Linux, where
    /// a save takes the two-rename way).
    static let renameAt2: RenameAt2? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
        #else
        return nil
        #endif
    }()


    /// Writes `files` (name, bytes) as the folder `path`, replacing the checkpoint there
    /// atomically (see the type's description); the files named in `ownerOnly` readable by their
    /// owner alone (mode 0600).
    static func write(_ files: [(name: String, bytes: Data)], to path: String, ownerOnly: Set<String> = []) throws(CheckpointError) {
        try checkReplaceable(path)
        let (parent, name) = Path.split(path)
        removeStaleTemporaries(parent: parent, name: name)
        let temporary = "\(parent)/.\(name).tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        guard mkdir(temporary, 0o755) == 0 else { throw .unwritable(path: path, reason: "\(temporary): \(Path.errorText())") }
        do {
            for file in files {
                try writeFile(file.bytes, to: Path.joined(temporary, file.name), for: path, mode: ownerOnly.contains(file.name) ? 0o600 : 0o644)
            }
            try flush(folder: temporary, for: path)
            try swap(temporary, into: path, parent: parent, name: name)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try flush(folder: parent, for: path)
    }

    /// Moves the complete folder `temporary` to `path`, exchanging it with what is there
    /// (`exchange`: `renameat2`, or nil to take the way of file systems without it).
    static func swap(_ temporary: String, into path: String, parent: String, name: String,
                     exchange: RenameAt2? = renameAt2) throws(CheckpointError) {
        var existing = stat()
        guard lstat(path, &existing) == 0 else {
            guard errno == ENOENT, rename(temporary, path) == 0 else { throw .unwritable(path: path, reason: Path.errorText()) }
            return
        }
        if let exchange, exchange(AT_FDCWD, temporary, AT_FDCWD, path, renameExchange) == 0 {
            // `temporary` now holds the previous checkpoint; losing it from here on is harmless.
            try? FileManager.default.removeItem(atPath: temporary)
            return
        }
        guard exchange == nil || [EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) else {
            throw .unwritable(path: path, reason: Path.errorText())
        }
        let old = "\(parent)/.\(name).old-\(getpid())"
        try? FileManager.default.removeItem(atPath: old)
        guard rename(path, old) == 0 else { throw .unwritable(path: path, reason: Path.errorText()) }
        guard rename(temporary, path) == 0 else {
            let reason = Path.errorText()
            _ = rename(old, path)
            throw .unwritable(path: path, reason: reason)
        }
        try? FileManager.default.removeItem(atPath: old)
    }

    /// Writes `bytes` to a new file and flushes it to the disk.
    static func writeFile(_ bytes: Data, to file: String, for path: String, mode: mode_t = 0o644) throws(CheckpointError) {
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .unwritable(path: path, reason: "\(file): \(Path.errorText())") }
        defer { close(fd) }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = writeBytes(fd, raw.baseAddress! + done, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = Path.errorText()
                    return
                }
                done += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = Path.errorText() }
        if let failure { throw .unwritable(path: path, reason: "\(file): \(failure)") }
    }

    /// Flushes a folder's entries (the names of the files renamed into or out of it).
    static func flush(folder: String, for path: String) throws(CheckpointError) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .unwritable(path: path, reason: "\(folder): \(Path.errorText())") }
        defer { close(fd) }
        // Some file systems cannot flush a folder (EINVAL); the rename itself is still atomic.
        if fsync(fd) != 0, errno != EINVAL { throw .unwritable(path: path, reason: "\(folder): \(Path.errorText())") }
    }

    /// Whether process `pid` is alive (EPERM: alive, but another user's).
    static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Removes `.NAME.tmp-PID` left by processes that are gone, and puts back a previous
    /// checkpoint `.NAME.old-PID` that a killed save had moved aside when `NAME` is missing.
    static func removeStaleTemporaries(parent: String, name: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for entry in entries {
            for kind in ["tmp", "old"] {
                let prefix = ".\(name).\(kind)-"
                guard entry.hasPrefix(prefix), let pid = Int32(entry.dropFirst(prefix.count)), pid > 0 else { continue }
                guard pid == getpid() || !isAlive(pid) else { continue }
                let leftover = Path.joined(parent, entry), destination = Path.joined(parent, name)
                if kind == "old", !FileManager.default.fileExists(atPath: destination), rename(leftover, destination) == 0 {
                    continue
                }
                try? FileManager.default.removeItem(atPath: leftover)
            }
        }
    }

    /// The temporaries beside `path` (`.NAME.tmp-PID`, `.NAME.old-PID`), by name.
    public static func temporaries(beside path: String) -> [String] {
        let (parent, name) = Path.split(path)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        return entries.filter { $0.hasPrefix(".\(name).tmp-") || $0.hasPrefix(".\(name).old-") }.sorted()
    }
}

/// `write(2)`, by a name that `CheckpointFolder.write(_:to:)` does not hide.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
