/// Several predictors combined (course notes §5.4.5): members trained with different seeds, or on
/// bootstrap resamples of the training set (bagging, Breiman 1996), combined by averaging their
/// probabilities or by majority vote.
public enum Ensemble {
    /// What differs between members.
    public enum Variation: String, CaseIterable, Sendable, Codable {
        /// Each member its own seed (initial weights, shuffles, masks).
        case seed
        /// Each member its own seed and its own bootstrap resample of the training set.
        case bagging
    }

    /// The seed of member `member` of an ensemble started from `seed`.
    public static func seed(_ seed: UInt64, member: Int) -> UInt64 { seed &+ UInt64(member) }

    /// A bootstrap resample of `dataset`: as many items, drawn with replacement from the stream
    /// (bagging, member), so reproducible.
    public static func bootstrap(_ dataset: Dataset, member: Int, seed: UInt64) -> Dataset {
        var stream = RandomStream(Philox(seed: seed), .bagging, a: member)
        let picks = (0..<dataset.count).map { _ in stream.nextInt(below: dataset.count) }
        var images = [Float]()
        images.reserveCapacity(dataset.images.count)
        for i in picks { images += dataset.images[(i * dataset.features)..<((i + 1) * dataset.features)] }
        return Dataset(name: "\(dataset.name) (bootstrap \(member))", features: dataset.features, classes: dataset.classes,
                       images: images, labels: picks.map { dataset.labels[$0] })
    }

    /// The mean of the members' probabilities, `[count, classes]`.
    public static func average(_ members: [[Float]]) -> [Float] {
        precondition(!members.isEmpty && members.allSatisfy { $0.count == members[0].count },
                     "Ensemble.average: members must be non-empty and of one size")
        var sum = [Float](repeating: 0, count: members[0].count)
        for member in members { for k in sum.indices { sum[k] += member[k] } }
        let inverse = 1 / Float(members.count)
        return sum.map { $0 * inverse }
    }

    /// Majority vote of the members' predicted classes (each member's `Evaluation.prediction`).
    /// Ties: among the classes with the most votes, the one with the highest summed probability;
    /// if that ties too, the lowest class index.
    public static func vote(_ members: [[Float]], classes: Int) -> [Int] {
        let count = members[0].count / classes
        return (0..<count).map { i in
            var votes = [Int](repeating: 0, count: classes), mass = [Float](repeating: 0, count: classes)
            for member in members {
                let row = member[(i * classes)..<((i + 1) * classes)]
                votes[Evaluation.prediction(row).predicted] += 1
                for j in 0..<classes { mass[j] += row[row.startIndex + j] }
            }
            var winner = 0
            for j in 1..<classes where votes[j] > votes[winner] || (votes[j] == votes[winner] && mass[j] > mass[winner]) {
                winner = j
            }
            return winner
        }
    }
}
