import RealModule

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

    /// The transforms applied to every training image; empty means no augmentation.
    public var transforms: Set<Transform>
    /// The largest shift, in whole pixels on each axis, for `shift`.
    public var shiftPixels: Int = 2
    /// The largest rotation, in degrees either way, for `rotate`.
    public var rotateDegrees: Double = 10
    /// The largest side of the erased rectangle, in pixels, for `erase`.
    public var eraseSize: Int = 8

    /// An augmentation with the given transforms and bounds (the defaults are the command line's).
    public init(transforms: Set<Transform> = [], shiftPixels: Int = 2, rotateDegrees: Double = 10, eraseSize: Int = 8) {
        self.transforms = transforms
        self.shiftPixels = shiftPixels
        self.rotateDegrees = rotateDegrees
        self.eraseSize = eraseSize
    }

    /// No augmentation: no transforms, default bounds.
    public static let none = Augmentation()
    /// True when at least one transform is chosen.
    public var isEnabled: Bool { !transforms.isEmpty }

    /// The parameters of one image's transform.
    public struct Parameters: Equatable, Sendable {
        /// Whether the image is mirrored left–right.
        public var flip = false
        /// The rotation about the image's centre, in degrees (0: none).
        public var degrees = 0.0
        /// The translation in whole pixels: `dx` columns to the right, `dy` rows down.
        public var dx = 0, dy = 0
        /// Rows × columns blanked, when any.
        public var erase: (rows: Range<Int>, columns: Range<Int>)?

        /// The parameters of an image's transform; the defaults leave the image unchanged.
        public init(flip: Bool = false, degrees: Double = 0, dx: Int = 0, dy: Int = 0,
                    erase: (rows: Range<Int>, columns: Range<Int>)? = nil) {
            self.flip = flip; self.degrees = degrees; self.dx = dx; self.dy = dy; self.erase = erase
        }

        /// Equal when every field is; written out because the `erase` tuple is not `Equatable`.
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
    /// Each output pixel is read back through the inverse transform — undo the shift, then the
    /// rotation about the centre, then the flip — bilinearly, with zero outside the image. Without
    /// rotation the pixels are copied exactly, by whole-pixel index arithmetic.
    /// - Complexity: O(side²), a few flops per pixel.
    public static func apply(_ p: Parameters, side: Int, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        if p.degrees == 0 {
            for r in 0..<side {
                let sr = r - p.dy
                for c in 0..<side {
                    let sc = p.flip ? side - 1 - (c - p.dx) : c - p.dx
                    destination[r * side + c] = (0..<side).contains(sr) && (0..<side).contains(sc) ? source[sr * side + sc] : 0
                }
            }
        } else {
            // Float is ample for coordinates inside a small image, and half the work of Double.
            let centre = Float(side - 1) / 2
            let radians = p.degrees * .pi / 180
            let cosine = Float(Double.cos(radians)), sine = Float(Double.sin(radians))
            for r in 0..<side {
                let y = Float(r - p.dy) - centre
                var x = Float(-p.dx) - centre
                for c in 0..<side {
                    var sx = cosine * x + sine * y
                    let sy = -sine * x + cosine * y
                    if p.flip { sx = -sx }
                    destination[r * side + c] = bilinear(source, side: side, x: sx + centre, y: sy + centre)
                    x += 1
                }
            }
        }
        if let erase = p.erase {
            for r in erase.rows { for c in erase.columns { destination[r * side + c] = 0 } }
        }
    }

    /// Bilinear interpolation of `image` at (x, y), zero outside.
    @inline(__always)
    static func bilinear(_ image: UnsafePointer<Float>, side: Int, x: Float, y: Float) -> Float {
        let fx0 = x.rounded(.down), fy0 = y.rounded(.down)
        guard fx0 > -2, fy0 > -2, fx0 < Float(side), fy0 < Float(side) else { return 0 }
        let x0 = Int(fx0), y0 = Int(fy0)
        let fx = x - fx0, fy = y - fy0
        let a, b, c, d: Float
        if x0 >= 0 && y0 >= 0 && x0 + 1 < side && y0 + 1 < side {
            let row = image + y0 * side + x0
            a = row[0]; b = row[1]; c = row[side]; d = row[side + 1]
        } else {
            func pixel(_ r: Int, _ c: Int) -> Float { r >= 0 && r < side && c >= 0 && c < side ? image[r * side + c] : 0 }
            a = pixel(y0, x0); b = pixel(y0, x0 + 1); c = pixel(y0 + 1, x0); d = pixel(y0 + 1, x0 + 1)
        }
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }

    /// The side of a square image of `features` pixels; nil if it is not square.
    public static func side(features: Int) -> Int? {
        let side = Int(Double(features).squareRoot().rounded())
        return side * side == features ? side : nil
    }
}
