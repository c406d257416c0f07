import ArgumentParser
import Thinned

/// `thinned augment --preview FILE.png`: a grid of training images beside their augmented copies.
struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Write a PNG grid of training images, each beside its augmented copy, to see what --augment does."
    )

    @Option(help: ArgumentHelp("The PNG file to write.", valueName: "file"))
    var preview: String

    @Option(help: "How many training images.")
    var count: Int = 64

    @Option(help: "Which epoch's transforms to draw (each epoch draws new ones).")
    var epoch: Int = 0

    @Option(help: ArgumentHelp("A folder with the four IDX files, or 'synthetic'.", valueName: "dir"))
    var data: String = DataSplit.defaultDirectory

    @OptionGroup(title: "Augmentation (and the seed)") var training: TrainOptions

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if epoch < 0 { throw ValidationError("--epoch must be 0 or more, got \(epoch)") }
        if let given = training.privacyOptions.first ?? training.sampling.map({ "--sampling \($0.rawValue)" }) {
            throw ValidationError("\(given): augment only draws transforms; clipping and noise belong to thinned train")
        }
    }

    func run() throws {
        // Without --augment the preview shows every transform (so --shift-px and the like apply).
        var base = TrainingConfiguration()
        base.augmentation.transforms = Set(Augmentation.Transform.allCases)
        let configuration = try training.configuration(batch: 1, epochs: 1, base: base)
        let train = try DataOptions.load(data, limit: count, features: configuration.model.inputs,
                                         classes: configuration.model.classes, seed: configuration.seed).train
        guard let side = Augmentation.side(features: train.features) else {
            throw ValidationError("--data \(data): images of \(train.features) pixels are not square")
        }
        // Pairs (original | augmented), 8 pairs a row, each pixel drawn 2 × 2, 4 pixels apart.
        let zoom = 2, gap = 4, perRow = 8
        let cell = side * zoom
        let rows = (train.count + perRow - 1) / perRow
        let width = perRow * (2 * cell + gap) + gap, height = rows * (cell + gap) + gap
        var canvas = [Float](repeating: 0.25, count: width * height)
        var augmented = [Float](repeating: 0, count: train.features)
        for i in 0..<train.count {
            let parameters = configuration.augmentation.parameters(seed: configuration.seed, epoch: epoch, item: i, side: side)
            train.images.withUnsafeBufferPointer { images in
                augmented.withUnsafeMutableBufferPointer { out in
                    Augmentation.apply(parameters, side: side, source: images.baseAddress! + i * train.features,
                                       destination: out.baseAddress!)
                }
            }
            let original = Array(train.images[(i * train.features)..<((i + 1) * train.features)])
            let top = gap + (i / perRow) * (cell + gap), left = gap + (i % perRow) * (2 * cell + gap)
            for (k, image) in [original, augmented].enumerated() {
                for r in 0..<cell {
                    for c in 0..<cell {
                        canvas[(top + r) * width + left + k * cell + c] = image[(r / zoom) * side + c / zoom]
                    }
                }
            }
        }
        do {
            try OutputFile.write(PNG.grayscale(width: width, height: height, pixels: canvas), to: preview)
        } catch {
            throw ValidationError("--preview \(preview): cannot write the file (\(error))")
        }
        let names = configuration.augmentation.transforms.map(\.rawValue).sorted().joined(separator: ",")
        print("wrote \(preview): \(train.count) training images of \(train.name), each beside its augmented copy (\(names); epoch \(epoch))")
    }
}
