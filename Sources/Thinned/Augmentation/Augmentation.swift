import Foundation

/// Random transforms of each training image (course notes §5.4.3), drawn per sample from
/// (seed, epoch, the sample's index in the data set): reproducible, and independent of which
/// worker transforms it. Applied on the fly in the sample phase; test images are never changed.
public struct Augmentation: Hashable, Sendable, Codable {
    /// The transforms, in the order they act on an image: flip, rotate, shift, then erase.
    public enum Transform: String, CaseIterable, Sendable, Codable {
        /// Mirror left–right with probability ½ (not for digits or text: a mirrored 2 is no 2).
        case flip
        /// Rotate about the centre by a uniform angle in ±`rotateDegrees`, bilinear resampling.
        case rotate
        /// Translate by whole pixels, uniform in ±`shiftPixels` on each axis.
        case shift
        /// With probability ½, blank a random rectangle of sides 1…`eraseSize` pixels
        /// (random erasing, Zhong et al., AAAI 2020).
        case erase
    }

    public var transforms: Set<Transform>
    public var shiftPixels: Int = 2
    public var rotateDegrees: Double = 10
    public var eraseSize: Int = 8

    public init(transforms: Set<Transform> = [], shiftPixels: Int = 2, rotateDegrees: Double = 10, eraseSize: Int = 8) {
        self.transforms = transforms
        self.shiftPixels = shiftPixels
        self.rotateDegrees = rotateDegrees
        self.eraseSize = eraseSize
    }

    public static let none = Augmentation()
    public var isEnabled: Bool { !transforms.isEmpty }

    /// The parameters of one image's transform.
    public struct Parameters: Equatable, Sendable {
        public var flip = false
        public var degrees = 0.0
        public var dx = 0, dy = 0
        /// Rows × columns blanked, when any.
        public var erase: (rows: Range<Int>, columns: Range<Int>)?

        public init(flip: Bool = false, degrees: Double = 0, dx: Int = 0, dy: Int = 0,
                    erase: (rows: Range<Int>, columns: Range<Int>)? = nil) {
            self.flip = flip; self.degrees = degrees; self.dx = dx; self.dy = dy; self.erase = erase
        }

        public static func == (a: Parameters, b: Parameters) -> Bool {
            a.flip == b.flip && a.degrees == b.degrees && a.dx == b.dx && a.dy == b.dy
                && a.erase?.rows == b.erase?.rows && a.erase?.columns == b.erase?.columns
        }
    }

    /// The transform of data-set item `item` in `epoch`: a pure function of its arguments.
    public func parameters(seed: UInt64, epoch: Int, item: Int, side: Int) -> Parameters {
        var stream = RandomStream(Philox(seed: seed), .augmentation, a: epoch, b: item)
        // Always draw every value, so that one transform's draws do not shift another's.
        let flip = stream.next() & 1 == 1
        let angle = (2 * Double(stream.nextUniform()) - 1) * rotateDegrees
        let dx = stream.nextInt(below: 2 * shiftPixels + 1) - shiftPixels
        let dy = stream.nextInt(below: 2 * shiftPixels + 1) - shiftPixels
        let erasing = stream.next() & 1 == 1
        let size = max(1, min(eraseSize, side))
        let height = 1 + stream.nextInt(below: size), width = 1 + stream.nextInt(below: size)
        let top = stream.nextInt(below: side - height + 1), left = stream.nextInt(below: side - width + 1)
        var p = Parameters()
        if transforms.contains(.flip) { p.flip = flip }
        if transforms.contains(.rotate) { p.degrees = angle }
        if transforms.contains(.shift) { p.dx = dx; p.dy = dy }
        if transforms.contains(.erase), erasing { p.erase = (top..<(top + height), left..<(left + width)) }
        return p
    }

    /// Writes `source` (a `side × side` image, row-major) transformed by `p` into `destination`.
    /// Each output pixel is read back through the inverse transform, bilinearly, with zero
    /// outside the image; whole-pixel shifts and a zero angle copy pixels exactly.
    public static func apply(_ p: Parameters, side: Int, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        let centre = Double(side - 1) / 2
        let radians = p.degrees * .pi / 180
        let cosine = Foundation.cos(radians), sine = Foundation.sin(radians)
        let exact = p.degrees == 0
        for r in 0..<side {
            for c in 0..<side {
                // Undo the shift, then the rotation (about the centre), then the flip.
                let x = Double(c - p.dx) - centre, y = Double(r - p.dy) - centre
                var sx = exact ? x : cosine * x + sine * y
                let sy = exact ? y : -sine * x + cosine * y
                if p.flip { sx = -sx }
                destination[r * side + c] = sample(source, side: side, x: sx + centre, y: sy + centre)
            }
        }
        if let erase = p.erase {
            for r in erase.rows { for c in erase.columns { destination[r * side + c] = 0 } }
        }
    }

    /// Bilinear interpolation of `image` at (x, y), zero outside.
    static func sample(_ image: UnsafePointer<Float>, side: Int, x: Double, y: Double) -> Float {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = x - Double(x0), fy = y - Double(y0)
        func pixel(_ r: Int, _ c: Int) -> Double {
            (0..<side).contains(r) && (0..<side).contains(c) ? Double(image[r * side + c]) : 0
        }
        if fx == 0 && fy == 0 { return Float(pixel(y0, x0)) }
        let top = pixel(y0, x0) * (1 - fx) + pixel(y0, x0 + 1) * fx
        let bottom = pixel(y0 + 1, x0) * (1 - fx) + pixel(y0 + 1, x0 + 1) * fx
        return Float(top * (1 - fy) + bottom * fy)
    }

    /// The side of a square image of `features` pixels; nil if it is not square.
    public static func side(features: Int) -> Int? {
        let side = Int(Double(features).squareRoot().rounded())
        return side * side == features ? side : nil
    }
}
