import Foundation
import Testing
import Thinned

/// `Path` takes paths apart as `NSString`'s path methods did, one-character paths included
/// (on which Swift 6.3's `deletingLastPathComponent` traps).
@Suite struct PathTests {
    @Test(arguments: [
        ("", ".", ""), ("/", "/", "/"), ("a", ".", "a"), ("a/", ".", "a"), ("/a", "/", "a"), ("/a/", "/", "a"),
        ("a/b", "a", "b"), ("a//b/", "a", "b"), ("//a", "/", "a"), (".", ".", "."), ("..", ".", ".."), ("./x", ".", "x"),
        ("x/.", "x", "."), ("/usr/share/datasets/fashion-mnist", "/usr/share/datasets", "fashion-mnist"),
    ])
    func splitGivesTheFolderAndTheName(path: String, folder: String, name: String) {
        #expect(Path.split(path) == (folder, name))
        #expect(Path.folder(of: path) == folder && Path.name(of: path) == name)
    }

    @Test func joinedPutsOneSlashBetween() {
        #expect(Path.joined("data", "train.gz") == "data/train.gz")
        #expect(Path.joined("data/", "train.gz") == "data/train.gz")
        #expect(Path.joined("/", "x") == "/x")
        #expect(Path.joined("", "x") == "x")
    }

    @Test func foldersAreToldFromFiles() {
        #expect(Path.isFolder("/tmp") && Path.exists("/tmp"))
        #expect(!Path.isFolder("/proc/self/stat") && Path.exists("/proc/self/stat"))
        #expect(!Path.isFolder("/nonexistent/x") && !Path.exists("/nonexistent/x"))
    }

    /// The names in a folder, as FileManager lists them: hidden ones kept, `.` and `..` not.
    @Test func entriesListAFolder() throws {
        let folder = NSTemporaryDirectory() + "thinned-path-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["b.safetensors", ".hidden", "a name with spaces"] {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data()))
        }
        let listed = try #require(Path.entries(of: folder))
        #expect(listed.sorted() == ["sub", "b.safetensors", ".hidden", "a name with spaces"].sorted())
        #expect(listed.sorted() == (try FileManager.default.contentsOfDirectory(atPath: folder)).sorted())
        #expect(Path.entries(of: folder + "/missing") == nil)
        #expect(Path.entries(of: folder + "/b.safetensors") == nil)
    }

    /// A folder is found only as a folder: a file is "not a folder", a loop of links says why it
    /// cannot be reached, nothing is missing.
    @Test func lookUpFolderTellsWhatIsThere() throws {
        let folder = NSTemporaryDirectory() + "thinned-folder-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(FileManager.default.createFile(atPath: folder + "/file", contents: Data("x".utf8)))
        try FileManager.default.createSymbolicLink(atPath: folder + "/loop", withDestinationPath: folder + "/loop")
        #expect(Path.lookUpFolder(folder) == .found)
        #expect(Path.lookUpFolder(folder + "/file") == .unreachable(reason: "not a folder"))
        #expect(Path.lookUpFolder(folder + "/nothing") == .missing)
        #expect(Path.lookUpFolder(folder + "/loop") == .unreachable(reason: String(cString: strerror(ELOOP))))
    }
}
