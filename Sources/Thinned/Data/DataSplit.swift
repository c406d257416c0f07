/// A training set and a test set.
public struct DataSplit: Sendable {
    /// The examples the model trains on.
    public let train: Dataset
    /// The held-out examples the model is evaluated on.
    public let test: Dataset
    /// The names of the files the split was read from (empty when generated).
    public let files: [String]

    /// A split of the given sets; `files` names where they were read from.
    public init(train: Dataset, test: Dataset, files: [String] = []) {
        self.train = train
        self.test = test
        self.files = files
    }

    /// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The four standard IDX files of `directory` (MNIST, Fashion-MNIST, KMNIST…), gzipped or
    /// not, checked against a model with `features` inputs and `classes` outputs.
    public static func idx(directory: String, features: Int, classes: Int) throws(IDXError) -> DataSplit {
        let files = try idxFiles(directory: directory).map { Path.name(of: $0) }
        let name = Path.name(of: directory)
        return DataSplit(
            train: try load(directory, "train", name: name + " train", features: features, classes: classes),
            test: try load(directory, "t10k", name: name + " test", features: features, classes: classes),
            files: files)
    }

    /// The paths of the four IDX files of `directory` (each under its name or its name + `.gz`),
    /// found without reading them.
    static func idxFiles(directory: String) throws(IDXError) -> [String] {
        // A folder that may not be searched is named itself, not by the first file looked for in it.
        switch Path.lookUpFolder(directory) {
        case .found: break
        case .missing: throw .missingDirectory(path: directory)
        case let .unreachable(reason): throw .unreadable(path: directory, reason: reason)
        }
        var files: [String] = []
        for prefix in ["train", "t10k"] {
            for kind in ["images-idx3-ubyte", "labels-idx1-ubyte"] {
                files.append(try find(directory, "\(prefix)-\(kind)"))
            }
        }
        return files
    }

    private static func load(_ directory: String, _ prefix: String, name: String, features: Int, classes: Int)
        throws(IDXError) -> Dataset
    {
        // Each byte becomes a Float pixel or an Int32 label: the budget check covers both.
        let imagesFile = try IDXFile(path: find(directory, "\(prefix)-images-idx3-ubyte"), magic: IDXFile.imagesMagic,
                                     convertedBytesPerItem: MemoryLayout<Float>.size)
        let labelsFile = try IDXFile(path: find(directory, "\(prefix)-labels-idx1-ubyte"), magic: IDXFile.labelsMagic,
                                     convertedBytesPerItem: MemoryLayout<Int32>.size)
        let count = imagesFile.dimensions[0]
        let pixels = imagesFile.dimensions[1] * imagesFile.dimensions[2]
        guard pixels == features else {
            throw .shapeMismatch(path: imagesFile.path,
                                 found: "images of \(imagesFile.dimensions[1])×\(imagesFile.dimensions[2]) = \(pixels) pixels",
                                 expected: "\(features) (the first of --layers)")
        }
        guard labelsFile.dimensions[0] == count else {
            throw .countMismatch(images: imagesFile.path, imageCount: count, labels: labelsFile.path,
                                 labelCount: labelsFile.dimensions[0])
        }
        for (index, label) in labelsFile.bytes.enumerated() where Int(label) >= classes {
            throw .labelOutOfRange(path: labelsFile.path, index: index, label: Int(label), classes: classes)
        }
        return Dataset(name: name, features: features, classes: classes,
                       images: imagesFile.bytes.map { Float($0) / 255 },
                       labels: labelsFile.bytes.map { Int32($0) })
    }

    private static func find(_ directory: String, _ name: String) throws(IDXError) -> String {
        var unreachable: IDXError?
        for candidate in [name, name + ".gz"] {
            let path = Path.joined(directory, candidate)
            switch Path.lookUp(path) {
            case .found: return path
            case .missing: continue
            // Said only if the other name is not there either.
            case let .unreachable(reason): unreachable = unreachable ?? .unreadable(path: path, reason: reason)
            }
        }
        throw unreachable ?? .missingFile(directory: directory, name: name)
    }

    /// Throws unless the images of `synthetic(features:classes:trainCount:testCount:seed:)` can
    /// be had (the examples and the class prototypes, one `Float` per feature each): call it
    /// first when `features` or the counts come from the user.
    public static func requireSyntheticMemory(features: Int, classes: Int, trainCount: Int = 2000,
                                              testCount: Int = 500) throws(MemoryError) {
        let what = "synthetic data: \(trainCount) + \(testCount) examples of \(features) features"
        try MemoryBudget.require(MemoryBudget.bytes([trainCount + testCount + classes, features],
                                                    elementBytes: MemoryLayout<Float>.size, for: what), for: what)
    }

    /// A seeded, learnable data set for tests and for `thinned scale`: each class has a random
    /// prototype image, and each example is half its class's prototype, half uniform noise.
    /// Pure function of the arguments.
    public static func synthetic(features: Int, classes: Int, trainCount: Int = 2000, testCount: Int = 500,
                                 seed: UInt64) -> DataSplit {
        let generator = Philox(seed: seed)
        let prototypes: [[Float]] = (0..<classes).map { label in
            var stream = RandomStream(generator, .syntheticData, a: 0, c: label)
            return (0..<features).map { _ in stream.nextUniform() }
        }
        func make(_ count: Int, part: Int, name: String) -> Dataset {
            var images = [Float](repeating: 0, count: count * features)
            var labels = [Int32](repeating: 0, count: count)
            for i in 0..<count {
                var stream = RandomStream(generator, .syntheticData, a: part, b: i)
                let label = stream.nextInt(below: classes)
                labels[i] = Int32(label)
                for f in 0..<features {
                    images[i * features + f] = 0.5 * prototypes[label][f] + 0.5 * stream.nextUniform()
                }
            }
            return Dataset(name: name, features: features, classes: classes, images: images, labels: labels)
        }
        return DataSplit(train: make(trainCount, part: 1, name: "synthetic train"),
                         test: make(testCount, part: 2, name: "synthetic test"))
    }
}
