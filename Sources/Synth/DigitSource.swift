public import Imaging

/// The single digits strings are made of: gray images of one shape (28×28×1 for MNIST) with
/// their labels 0…9, held in memory (a digit set is small next to what is made from it).
public struct DigitSource: Sendable {
    /// The digit images, all `height × width × 1`.
    public let images: [Image]
    /// `labels[i]` is the digit shown in `images[i]`, 0…9.
    public let labels: [Int]

    /// A source over `images` and `labels`; fails when they are empty, differ in count, are not
    /// all gray images of one shape, or a label is outside 0…9 (the error names the index).
    public init(images: [Image], labels: [Int]) throws(SynthError) {
        guard !images.isEmpty else { throw SynthError("the digit source holds no images") }
        guard images.count == labels.count else {
            throw SynthError("the digit source has \(images.count) images but \(labels.count) labels")
        }
        let first = images[0]
        for (index, image) in images.enumerated() {
            guard image.channels == 1, image.height == first.height, image.width == first.width else {
                throw SynthError(
                    "digit \(index) is \(image.height)×\(image.width)×\(image.channels), "
                        + "expected \(first.height)×\(first.width)×1 like digit 0")
            }
            guard (0...9).contains(labels[index]) else {
                throw SynthError("digit \(index) has label \(labels[index]), expected 0…9")
            }
        }
        self.images = images
        self.labels = labels
        inkBoxes = images.map(InkBox.init)
    }

    /// The rows and columns of each digit that hold ink (a non-zero pixel): drawing skips the
    /// blank margin around them, about half of an MNIST digit.
    let inkBoxes: [InkBox]

    /// Number of digits.
    public var count: Int { images.count }
    /// Rows of every digit image.
    public var digitHeight: Int { images[0].height }
    /// Columns of every digit image.
    public var digitWidth: Int { images[0].width }
}

/// The smallest block of rows and columns of a gray image outside which every pixel is zero;
/// empty ranges for an all-zero image.
struct InkBox: Sendable {
    var rows: Range<Int>
    var columns: Range<Int>

    init(_ image: Image) {
        var top = image.height
        var bottom = 0
        var left = image.width
        var right = 0
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<image.height {
                let row = pixels.baseAddress! + y * image.width
                var first = -1
                var last = -1
                for x in 0..<image.width where row[x] != 0 {
                    if first < 0 { first = x }
                    last = x
                }
                guard first >= 0 else { continue }
                top = min(top, y)
                bottom = y + 1
                left = min(left, first)
                right = max(right, last + 1)
            }
        }
        rows = top < bottom ? top..<bottom : 0..<0
        columns = left < right ? left..<right : 0..<0
    }
}
