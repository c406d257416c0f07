/// Labelled examples in memory: `images: [count, features]` row-major in [0, 1], and `labels`.
public struct Dataset: Sendable {
    public let name: String
    public let features: Int
    public let classes: Int
    public let images: [Float]
    public let labels: [Int32]

    public var count: Int { labels.count }

    public init(name: String, features: Int, classes: Int, images: [Float], labels: [Int32]) {
        precondition(images.count == labels.count * features,
                     "Dataset: \(images.count) pixels is not \(labels.count) images × \(features) features")
        self.name = name
        self.features = features
        self.classes = classes
        self.images = images
        self.labels = labels
    }

    /// The first `count` examples (all of them when there are fewer).
    public func prefix(_ count: Int) -> Dataset {
        let n = min(count, self.count)
        if n == self.count { return self }
        return Dataset(name: "\(name) (first \(n))", features: features, classes: classes,
                       images: Array(images[..<(n * features)]), labels: Array(labels[..<n]))
    }
}
