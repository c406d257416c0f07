import ArgumentParser
import Thinned

/// `--metrics`: appends one JSON object per line (one per epoch), keys sorted.
struct MetricsFile {
    let path: String
    let file: OutputFile

    init(path: String) throws {
        self.path = path
        let existed = Path.exists(path)
        do { file = try OutputFile(path: path, appending: true) } catch {
            throw ValidationError("--metrics \(path): " + (existed ? "cannot open the file for writing" : "cannot create the file"))
        }
    }

    func append<T: Encodable>(_ value: T) throws {
        do { try file.write(Array((try JSONValue(encoding: value).text(.sortedLine) + "\n").utf8)) } catch {
            throw CommandFailure("--metrics \(path): cannot write: \(error)")
        }
    }
}
