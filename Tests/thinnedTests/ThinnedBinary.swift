import Foundation

/// Runs the `thinned` executable built beside the test bundle, as a user would.
struct ThinnedBinary {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// `.build/<configuration>/thinned`: the products folder holds the test bundle too.
    static let url: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        // The test binary may sit inside a `.xctest` bundle folder.
        while folder.pathComponents.count > 1 && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("thinned").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("thinned")
    }()

    /// Runs `thinned arguments…`, optionally under another program (`taskset -c 0`), with extra
    /// environment variables, and waits for it.
    static func run(_ arguments: [String], under prefix: [String] = [], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        if let tool = prefix.first {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool] + prefix.dropFirst() + [url.path] + arguments
        } else {
            process.executableURL = url
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs `thinned arguments…` and decodes its standard output as a JSON object.
    static func json(_ arguments: [String], under prefix: [String] = [], environment: [String: String] = [:]) throws -> [String: Any] {
        let result = try run(arguments, under: prefix, environment: environment)
        guard result.status == 0 else { throw Failure(message: "exit \(result.status): \(result.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        guard let dictionary = object as? [String: Any] else { throw Failure(message: "not a JSON object: \(result.stdout)") }
        return dictionary
    }

    struct Failure: Error, CustomStringConvertible { let message: String; var description: String { message } }
}
