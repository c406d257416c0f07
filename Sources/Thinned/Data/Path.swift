#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File paths as text: the folder that holds a path, its last name, a name appended to a
/// folder. The one place the program takes paths apart (checkpoints, data folders, the CLI's
/// output files), without `NSString`'s path methods, which FoundationEssentials does not have and
/// whose `deletingLastPathComponent` traps on a one-character path in Swift 6.3's Foundation.
///
/// Runs of `/` count as one and a trailing `/` is ignored, as `NSString` reads a path.
public enum Path {
    /// The folder that holds `path` and the last name in it: `("runs", "a")` for `runs/a/`,
    /// `(".", "a")` for `a`, `("/", "a")` for `/a`, `("/", "/")` for `/` and `(".", "")` for an
    /// empty path.
    public static func split(_ path: String) -> (folder: String, name: String) {
        var names = path.split(separator: "/")
        let isAbsolute = path.hasPrefix("/")
        guard let last = names.popLast() else { return isAbsolute ? ("/", "/") : (".", "") }
        let folder = names.joined(separator: "/")
        return (isAbsolute ? "/" + folder : folder.isEmpty ? "." : folder, String(last))
    }

    /// The folder that holds `path`; "." for a name without one.
    public static func folder(of path: String) -> String { split(path).folder }

    /// The last name in `path`.
    public static func name(of path: String) -> String { split(path).name }

    /// `name` inside `folder` (`name` alone when `folder` is empty), with one `/` between them.
    public static func joined(_ folder: String, _ name: String) -> String {
        folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// Whether something is at `path`, links followed. The corresponding C call is `access(F_OK)`.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// What looking for `path` (links followed) finds.
    public enum Lookup: Equatable, Sendable {
        /// Something is there.
        case found
        /// Nothing is there (the system says ENOENT or ENOTDIR), not even a link.
        case missing
        /// Something is named there but cannot be reached, and `reason` says why: a folder on the
        /// way that may not be searched, a loop of links, a link to nothing. Reported as such,
        /// never as "missing", which would send the user looking for a name `ls` lists.
        case unreachable(reason: String)
    }

    /// Looks for `path`, links followed. The corresponding C calls are `access(F_OK)`, then
    /// `lstat` and `readlink` for a link to nothing.
    public static func lookUp(_ path: String) -> Lookup {
        if access(path, F_OK) == 0 { return .found }
        let code = errno
        guard code == ENOENT || code == ENOTDIR else { return .unreachable(reason: errorText(code)) }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return .missing }
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &target, target.count - 1)
        let name = length > 0 ? String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return .unreachable(reason: "a link to \(name), which leads nowhere")
    }

    /// Looks for a folder at `path`: `.found` only for a folder that may be searched, `.missing`
    /// when nothing is there, and otherwise `.unreachable` with the reason — "not a folder" for
    /// anything else that is there, or why the folder cannot be reached or searched.
    public static func lookUpFolder(_ path: String) -> Lookup {
        guard isFolder(path) else {
            let found = lookUp(path)
            return found == .found ? .unreachable(reason: "not a folder") : found
        }
        // Its own permissions: `path` is reached, but nothing inside it is.
        let inside = lookUp(joined(path, "."))
        return inside == .found ? .found : inside
    }

    /// The system's text for error `code` (`strerror`): the one place the data and checkpoint
    /// code turn an `errno` into words.
    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// The names in folder `path`, `.` and `..` left out, in the order the system lists them;
    /// nil when it cannot be read. The corresponding C calls are `opendir` and `readdir`.
    public static func entries(of path: String) -> [String]? {
        guard let folder = opendir(path) else { return nil }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether `path` is a folder, links followed. The corresponding C call is `stat`.
    public static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
