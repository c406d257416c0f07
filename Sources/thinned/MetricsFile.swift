import ArgumentParser
import Foundation

/// `--metrics`: appends one JSON object per line (one per epoch).
struct MetricsFile {
    let path: String
    let handle: FileHandle

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("--metrics \(path): cannot create the file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("--metrics \(path): cannot open the file for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func append<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // `write(contentsOf:)` throws where `write(_:)` would trap (a full disk, /dev/full).
        do { try handle.write(contentsOf: try encoder.encode(value) + Data("\n".utf8)) } catch {
            throw CommandFailure("--metrics \(path): cannot write: \(error.localizedDescription)")
        }
    }
}
