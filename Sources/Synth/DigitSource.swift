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
    }

    /// Number of digits.
    public var count: Int { images.count }
    /// Rows of every digit image.
    public var digitHeight: Int { images[0].height }
    /// Columns of every digit image.
    public var digitWidth: Int { images[0].width }
}
