import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Thinned

/// A folder for the files of `--out` (scale's reports, an ensemble's members), created if missing
/// and checked for writing before anything is measured or trained.
struct OutputFolder {
    let path: String

    init(path: String) throws {
        self.path = path
        if let failure = Self.create(path) {
            // mkdir's EEXIST for a file that is not a folder would read as nonsense.
            if Path.exists(path) && !Path.isFolder(path) { throw ValidationError("--out \(path): exists and is not a folder") }
            throw ValidationError("--out \(path): cannot create the folder (\(failure))")
        }
        let probe = Path.joined(path, ".thinned-write-test")
        guard (try? OutputFile(path: probe)) != nil else {
            throw ValidationError("--out \(path): the folder is not writable")
        }
        unlink(probe)
    }

    /// Writes `text` as the file `name` in the folder.
    func write(_ name: String, _ text: String) throws {
        do { try OutputFile.write(Array(text.utf8), to: Path.joined(path, name)) } catch {
            throw ValidationError("--out \(path): cannot write \(name) (\(error))")
        }
    }

    /// Creates the folder `path` and the missing folders above it (`mkdir -p`); the failure, or nil.
    static func create(_ path: String) -> SystemError? {
        if Path.isFolder(path) { return nil }
        let parent = Path.folder(of: path)
        if parent != path, let failure = create(parent) { return failure }
        guard mkdir(path, 0o777) == 0 || (errno == EEXIST && Path.isFolder(path)) else { return SystemError() }
        return nil
    }
}
