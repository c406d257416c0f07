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
}
