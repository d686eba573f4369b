public import Imaging

/// One synthesized string: its image and what it shows.
public struct DigitString: Sendable, Equatable {
    /// Number of digit slots in the record schema's `digits` feature (as SVHN's).
    public static let labelSlots = 5
    /// The value of an empty slot in `paddedDigits`.
    public static let noDigit = 10

    /// The string's image: gray, or with the gray value replicated to RGB (see
    /// `DigitStringSynthesizer.Configuration.channels`).
    public var image: Image
    /// The digits left to right, each 0…9; `digits.count` is the string's length.
    public var digits: [Int]
    /// Which source digit each position shows (indices into the `DigitSource`).
    public var sourceIndices: [Int]
    /// Where each digit went in `image`.
    public var boxes: [DigitBox]

    /// A string from its parts; `digits`, `sourceIndices` and `boxes` have one entry per digit.
    public init(image: Image, digits: [Int], sourceIndices: [Int], boxes: [DigitBox]) {
        self.image = image
        self.digits = digits
        self.sourceIndices = sourceIndices
        self.boxes = boxes
    }

    /// The number of digits.
    public var length: Int { digits.count }

    /// `digits` followed by `noDigit` up to `labelSlots` values: the `digits` feature.
    public var paddedDigits: [Int] {
        digits + [Int](repeating: Self.noDigit, count: max(0, Self.labelSlots - digits.count))
    }

    /// The digits as text, e.g. `"4071"`.
    public var text: String { digits.map(String.init).joined() }
}
