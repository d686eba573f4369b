/// How the digits of a string are placed in its image.
public enum DigitLayout: String, Sendable, CaseIterable {
    /// Left to right with random spacing (gaps and slight overlaps), vertical jitter and per-digit
    /// scale; the whole string is then scaled, keeping its aspect, and centred in the canvas.
    case free
    /// `maxLength` slots of one digit each, side by side; digit `i` is copied unchanged into slot
    /// `i`, the slots after the string's length stay blank (concatenate, then remove).
    case fixed
}

/// The ranges the free layout draws from, as fractions of the source digit's size.
public enum FreeLayout {
    /// Per-digit scale factor, uniform in [0.8, 1.2).
    public static let scale: Range<Double> = 0.8..<1.2
    /// Gap before every digit but the first, in digit widths, uniform in [−0.15, 0.25)
    /// (negative: the digits overlap).
    public static let gap: Range<Double> = -0.15..<0.25
    /// Vertical offset of a digit's centre from the string's centre line, in digit heights,
    /// uniform in [−0.12, 0.12).
    public static let jitter: Range<Double> = -0.12..<0.12
}

/// Where one digit went in a string's image, in pixels (fractional; the box's pixels are those
/// whose centres lie inside it).
public struct DigitBox: Sendable, Equatable {
    /// Distance of the box's left edge from the image's left edge.
    public var left: Double
    /// Distance of the box's top edge from the image's top edge.
    public var top: Double
    /// The digit's drawn width: the source width times its scale and the fit to the canvas.
    public var width: Double
    /// The digit's drawn height, scaled like `width` (digits keep their aspect).
    public var height: Double

    /// A box in image pixels.
    public init(left: Double, top: Double, width: Double, height: Double) {
        self.left = left
        self.top = top
        self.width = width
        self.height = height
    }
}
