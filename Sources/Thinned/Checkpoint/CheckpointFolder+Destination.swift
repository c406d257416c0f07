#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Probing a destination before training: is it a folder a checkpoint can be written in (not a
/// kernel file system, writable), and is what is there a checkpoint that may be replaced.
extension CheckpointFolder {
    /// Kernel file systems that look writable but keep no files (`/proc`, `/sys`, cgroups,
    /// debugfs): `statfs`'s magic numbers from `<linux/magic.h>`.
    static let kernelFileSystems: Set<Int> = [0x9fa0, 0x6265_6572, 0x0027_e0eb, 0x6367_7270, 0x6462_6720, 0x1cd1]

    typealias StatFS = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32

    /// `statfs`, which Swift's Glibc module does not import (`<sys/statfs.h>`), looked up by name;
    /// nil off Linux, whose kernel file systems these are (and whose `struct statfs` differs).
    static let statFS: StatFS? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "statfs") else { return nil }
        return unsafeBitCast(symbol, to: StatFS.self)
        #else
        return nil
        #endif
    }()

    /// The file-system magic number of the file system holding `path` (`statfs`'s `f_type`, the
    /// first field, a `long`, of `struct statfs` on Linux), or nil.
    static func fileSystemType(_ path: String) -> Int? {
        guard let statFS else { return nil }
        // struct statfs is 120 bytes on 64-bit Linux; 512 leaves room on any ABI.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 16)
        defer { buffer.deallocate() }
        guard statFS(path, buffer) == 0 else { return nil }
        return buffer.load(as: Int.self)
    }

    /// Checks, before any training, that a checkpoint can be saved at `path`, and removes the
    /// temporaries of saves that were killed (see `Checkpoint.prepareDestination`).
    static func prepare(_ path: String) throws(CheckpointError) {
        guard !path.isEmpty else { throw .unwritable(path: path, reason: "the path is empty") }
        let (parent, name) = Path.split(path)
        guard name != "." && name != ".." && name != "/" else {
            throw .unwritable(path: path, reason: "give the checkpoint folder a name of its own")
        }
        var info = stat()
        guard stat(parent, &info) == 0 else {
            throw .unwritable(path: path, reason: errno == ENOTDIR ? "a part of \(parent) is a file, not a folder"
                                                                   : "the folder \(parent) does not exist")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .unwritable(path: path, reason: "\(parent) is a file, not a folder") }
        if let type = fileSystemType(parent), kernelFileSystems.contains(type) {
            throw .unwritable(path: path, reason: "\(parent) is in a kernel file system (/proc, /sys), which keeps no files")
        }
        try checkReplaceable(path)
        removeStaleTemporaries(parent: parent, name: name)
        // Creating the temporary folder a save would create is the one reliable writability test
        // (permissions, read-only mounts, quotas, ACLs).
        let probe = "\(parent)/.\(name).tmp-\(getpid())"
        guard mkdir(probe, 0o755) == 0 else {
            throw .unwritable(path: path, reason: "the folder \(parent) is not writable (\(Path.errorText()))")
        }
        rmdir(probe)
    }

    /// Refuses to replace what is not a checkpoint: a folder holding other files, a file that is
    /// not a thinned safetensors checkpoint, a link or a device.
    static func checkReplaceable(_ path: String) throws(CheckpointError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let entries = Path.entries(of: path) ?? []
            guard entries.isEmpty || entries.contains(trainerStateFile) else {
                throw .unwritable(path: path, reason: "it is a folder that holds no checkpoint (no \(trainerStateFile)); give a new name or an empty folder")
            }
        case S_IFREG:
            guard isLegacyCheckpoint(path) else {
                throw .unwritable(path: path, reason: "it is an existing file that is not a thinned checkpoint; give a new name")
            }
        default:
            throw .unwritable(path: path, reason: "it exists and is neither a checkpoint folder nor a checkpoint file")
        }
    }

    /// Whether `path` is a single-file checkpoint of format 1 (its header says `format: thinned`);
    /// the header is read and parsed within the memory there is, as `SafeTensors` reads it.
    static func isLegacyCheckpoint(_ path: String) -> Bool {
        guard var input = try? ByteInput(path: path), let prefix = try? input.read(upTo: 8),
              let length = SafeTensors.headerLength(prefix), length <= UInt64(SafeTensors.maximumHeaderBytes),
              (try? SafeTensors.requireHeaderMemory(Int(length), path: path)) != nil,
              let header = try? input.read(upTo: Int(length)), header.count == Int(length),
              let json = try? SafeTensors.header(header, path: path) else { return false }
        return json["__metadata__"]?["format"]?.string == "thinned"
    }
}
