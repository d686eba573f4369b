/// How the digits of a string are placed in its image.
public enum DigitLayout: String, Sendable, CaseIterable {
    /// Left to right with random spacing (gaps and slight overlaps), vertical jitter and per-digit
    /// scale; the string's ink with a margin of `FreeLayout.margin` on each side is then scaled
    /// to fill the canvas's height and centred. A string whose ink is wider than tall is squeezed
    /// sideways to fit the width, as SVHN resizes each grown box to a square; a narrower one
    /// keeps its aspect.
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
    /// Blank margin on each side of the string's ink, as a fraction of the ink's extent: 0.15,
    /// SVHN's preprocessing (the digits' box union grown by 30% in all, `SVHNCrop.expansion`,
    /// before the resize to 64×64). The ink then spans at most 1/1.3 of the canvas on its
    /// longer axis, so a centre crop of 54 of 64 pixels (the `digits` model's input) keeps all
    /// of it and a random one cuts at most about 2.6 pixels off an end, as on SVHN.
    public static let margin = 0.15
}

/// Where one digit went in a string's image, in pixels (fractional; the box's pixels are those
/// whose centres lie inside it). In the free layout the box is the whole source image, blank
/// border included, while the fit to the canvas is made on the ink: a box can reach past the
/// canvas's edge by part of that blank border.
public struct DigitBox: Sendable, Equatable {
    /// Distance of the box's left edge from the image's left edge.
    public var left: Double
    /// Distance of the box's top edge from the image's top edge.
    public var top: Double
    /// The digit's drawn width: the source width times its scale and the fit to the canvas.
    public var width: Double
    /// The digit's drawn height (in wide strings the digits are squeezed: narrower than tall).
    public var height: Double

    /// A box in image pixels.
    public init(left: Double, top: Double, width: Double, height: Double) {
        self.left = left
        self.top = top
        self.width = width
        self.height = height
    }
}
