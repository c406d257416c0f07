import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Parallel
import Thinned

/// `thinned per-sample`: the loss, gradient norm and whole gradient of chosen training samples
/// at a checkpoint's parameters, written to a safetensors file.
struct PerSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "per-sample",
        abstract: "Export chosen training samples' losses, gradient norms and whole gradients at a checkpoint (safetensors).",
        discussion: """
            The file holds "loss" [n], "norm" [n] and "index" [n] (each sample's index in the training set, \
            exact in F32 below 2^24), and one tensor per parameter of the checkpoint under its name, with a \
            leading sample axis: "0.weight" [n, outputs, inputs], "0.bias" [n, outputs], … Memory stays at \
            \(PerSampleGradients.window) gradients whatever n: windows of samples are written in place as \
            they are computed; a file larger than the free space of its file system is refused before \
            anything is computed.
            """
    )

    @Option(help: ArgumentHelp("The checkpoint written by thinned train (a folder).", valueName: "path"))
    var checkpoint: String

    @Option(help: ArgumentHelp("Training samples by index: A..<B, A...B, or a comma-separated list.", valueName: "set"))
    var samples: String

    @Option(help: ArgumentHelp("A folder with the four IDX files, or 'synthetic' (default: the data the checkpoint records, else Fashion-MNIST).", valueName: "dir"))
    var data: String?

    @Option(help: "Use the first N training samples, as the run did (default: the checkpoint's recorded limit).")
    var limit: Int?

    @Option(help: ArgumentHelp("Give each sample the dropout masks of training step S: the samples, in the order given, take batch positions 0, 1, … of that step (default: no dropout, the network as it predicts).", valueName: "S"))
    var masksOfStep: Int?

    @Option(help: ArgumentHelp("The safetensors file to write.", valueName: "file"))
    var out: String

    @OptionGroup(title: "Worker pool") var pool: PoolOptions

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if let masksOfStep, !(1...Int(UInt32.max)).contains(masksOfStep) {
            throw ValidationError("--masks-of-step \(masksOfStep): steps are counted from 1 to \(UInt32.max)")
        }
        _ = try Self.selection(samples)
    }

    /// The samples `text` names: a range `A..<B` or `A...B` (its bounds only, nothing built yet),
    /// or the list `i,j,k`.
    enum Selection {
        case range(Range<Int>)
        case list([Int])

        /// The largest index named, to check against the training set before anything is built.
        var last: Int { switch self { case let .range(r): r.upperBound - 1; case let .list(l): l.max()! } }

        var indices: [Int] { switch self { case let .range(r): Array(r); case let .list(l): l } }
    }

    static func selection(_ text: String) throws -> Selection {
        let expected = "expected A..<B, A...B or a comma-separated list of indices, as 0..<100"
        for (separator, closed) in [("..<", false), ("...", true)] {
            let parts = text.components(separatedBy: separator)
            guard parts.count == 2 else { continue }
            guard let low = Int(parts[0].trimmingBlanks), let high = Int(parts[1].trimmingBlanks), low >= 0,
                  closed ? high >= low && high < Int.max : high > low else {
                throw ValidationError("--samples \(text): \(expected), with 0 ≤ A and at least one sample")
            }
            return .range(low..<(closed ? high + 1 : high))
        }
        let list = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingBlanks) }
        guard !list.isEmpty, list.allSatisfy({ ($0 ?? -1) >= 0 }) else { throw ValidationError("--samples \(text): \(expected)") }
        return .list(list.map { $0! })
    }

    func run() throws {
        let saved: Checkpoint
        do { saved = try Checkpoint(path: checkpoint) } catch { throw ValidationError("--checkpoint \(error)") }
        let configuration = saved.configuration, model = configuration.model
        if let masksOfStep, model.maskKind == nil {
            throw ValidationError("--masks-of-step \(masksOfStep): the model in \(checkpoint) has no dropout (--dropout \(model.dropout.rawValue)), so its samples have no masks")
        }
        let source = data ?? saved.dataIdentity?.source ?? DataSplit.defaultDirectory
        let limitUsed = limit ?? saved.dataIdentity?.limit
        let split = try DataOptions.load(source, limit: limitUsed, features: model.inputs, classes: model.classes, seed: configuration.seed)
        let train = split.train
        let selection = try Self.selection(samples)
        guard selection.last < train.count else {
            throw ValidationError("--samples \(samples): sample \(selection.last) is past the \(train.count) training samples of \(train.name)")
        }
        let indices = selection.indices
        if let identity = saved.dataIdentity, DatasetIdentity(split, source: source, limit: limitUsed).digest != identity.digest {
            StandardError.warn("\(source)\(limitUsed.map { " (first \($0))" } ?? "") is not the data the run in \(checkpoint) trained on (\(identity.source)\(identity.limit.map { ", first \($0)" } ?? "")): the indices name other samples")
        }
        let layout = ParameterLayout(widths: model.layers), n = indices.count
        var entries: [(name: String, shape: [Int])] = [("loss", [n]), ("norm", [n]), ("index", [n])]
        entries += layout.tensors.map { ($0.name, [n] + $0.shape) }
        let masks = masksOfStep.map { "step \($0)" } ?? "none"
        let prefix = SafeTensors.prefix(entries, metadata: [
            "format": "thinned-per-sample", "samples": samples, "masks": masks, "checkpoint_step": "\(saved.state.step)",
        ])
        let (gradientBytes, overflow) = n.multipliedReportingOverflow(by: layout.count * 4)
        let bytes = prefix.bytes.count + 12 * n + gradientBytes
        try Self.requireSpace(bytes: overflow ? Int.max : bytes, for: out)
        if Self.isInside(out, folder: checkpoint) {
            throw ValidationError("--out \(out): inside the checkpoint \(checkpoint); write it elsewhere")
        }
        // Written beside `out` and renamed over it at the end: a failure or a kill part-way
        // leaves any file already at `out` as it was.
        let temporary = Self.temporary(for: out)
        let file: OutputFile
        do { file = try OutputFile(path: temporary) } catch { throw ValidationError("--out \(out): \(error)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        let workers = try pool.startForBLAS()
        print("per-sample: \(n) samples of \(train.name) at \(checkpoint) (step \(saved.state.step)), masks: \(masks); \(MemoryError.format(bytes)) to \(out)")
        let data = prefix.bytes.count
        var losses = [Float](repeating: 0, count: n), norms = losses
        let gradients = PerSampleGradients(model: model, seed: configuration.seed, pool: workers)
        var reportedTenth = 0
        do {
            try file.write(prefix.bytes.withUnsafeBytes { $0 }, at: 0)
            try gradients.compute(indices.map { Int32($0) }, of: train, parameters: saved.state.parameters,
                                  masks: masksOfStep.map { .step($0) } ?? .none) { window in
                for k in 0..<window.losses.count {
                    losses[window.first + k] = window.losses[k]
                    norms[window.first + k] = window.norms[k]
                }
                // Tensor t's slice of sample s lies at its offset + s × (the tensor's floats per sample).
                for (t, tensor) in layout.tensors.enumerated() {
                    for k in 0..<window.losses.count {
                        let sample = window.gradients.baseAddress! + k * layout.count + tensor.range.lowerBound
                        try file.write(UnsafeRawBufferPointer(start: sample, count: tensor.range.count * 4),
                                       at: data + prefix.offsets[3 + t] + (window.first + k) * tensor.range.count * 4)
                    }
                }
                let tenth = (window.first + window.losses.count) * 10 / n
                if tenth > reportedTenth {
                    reportedTenth = tenth
                    StandardError.write("per-sample: \(window.first + window.losses.count) of \(n) samples\n")
                }
            }
            for (t, values) in [losses, norms, indices.map(Float.init)].enumerated() {
                try values.withUnsafeBytes { try file.write($0, at: data + prefix.offsets[t]) }
            }
        } catch let error as SystemError {
            throw CommandFailure("--out \(out): \(error)")
        }
        guard rename(temporary, out) == 0 else { throw CommandFailure("--out \(out): \(SystemError())") }
        renamed = true
        print("written: \(out)")
    }

    /// Whether `path`'s folder is `folder` or inside it (both resolved: links, `..`).
    static func isInside(_ path: String, folder: String) -> Bool {
        guard let parent = realpath(Path.folder(of: path).isEmpty ? "." : Path.folder(of: path), nil),
              let base = realpath(folder, nil) else { return false }
        defer { free(parent); free(base) }
        let p = String(cString: parent), b = String(cString: base)
        return p == b || p.hasPrefix(b.hasSuffix("/") ? b : b + "/")
    }

    /// A name beside `path` for the file while it is written.
    static func temporary(for path: String) -> String {
        let (folder, name) = Path.split(path)
        return Path.joined(folder, ".\(name).tmp-\(getpid())")
    }

    /// Refuses a file of `bytes` that the file system holding `path` has no room for.
    static func requireSpace(bytes: Int, for path: String) throws {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var stats = statvfs()
        guard statvfs(folder.isEmpty ? "/" : folder, &stats) == 0 else { return }
        let free = Double(stats.f_bavail) * Double(stats.f_frsize)
        guard Double(bytes) <= free else {
            throw ValidationError("--out \(path): the file would take \(MemoryError.format(bytes)), but its file system has \(MemoryError.format(Int(free))) free; choose fewer --samples")
        }
    }
}
