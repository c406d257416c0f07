/// Labelled examples in memory: `images: [count, features]` row-major in [0, 1], and `labels`.
public struct Dataset: Sendable {
    /// A name for messages and reports, as `fashion-mnist train`.
    public let name: String
    /// Pixels per example: the width of a row of `images`.
    public let features: Int
    /// The number of classes; every label is below it.
    public let classes: Int
    /// The examples' pixels, `[count, features]` row-major, each in [0, 1].
    public let images: [Float]
    /// Each example's class, 0 ..< `classes`.
    public let labels: [Int32]

    /// The number of examples.
    public var count: Int { labels.count }

    /// A data set of these examples; `images` must hold `features` values per label.
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
