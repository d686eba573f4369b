/// Draws one line of label text onto an image: contact sheets take any typeface, so that a
/// module outside Imaging (Glyphs, over FreeType) can label them in scripts the built-in 5×7
/// `BitmapFont` lacks, without Imaging itself depending on a font library.
public protocol LabelTypeface {
    /// Height in pixels of a line of text (ascent plus descent), the label line's height.
    var lineHeight: Int { get }

    /// True when every character of `text` has a glyph of its own (no replacement drawn).
    func canDraw(_ text: String) -> Bool

    /// Draws `text` with the top of its line at `y` and its pen starting at `x`, in `color` (one
    /// value per channel of `image`), clipped to the image; draws no character whose right edge
    /// would pass `x + maxWidth`. Only inked pixels change (the background shows through).
    func draw(_ text: String, on image: inout Image, x: Int, y: Int, maxWidth: Int, color: [UInt8])
}

/// The built-in `BitmapFont` as a `LabelTypeface`, at an integer scale.
public struct BitmapTypeface: LabelTypeface, Sendable {
    /// Whole-number magnification: each font pixel becomes a `scale × scale` block.
    public var scale: Int

    /// The bitmap font at `scale` (positive; 1 draws 5×7 glyphs).
    public init(scale: Int = 1) {
        precondition(scale > 0, "scale must be positive")
        self.scale = scale
    }

    /// The glyph height times the scale (7 at scale 1).
    public var lineHeight: Int { BitmapFont.glyphHeight * scale }

    /// True when every character is among the font's digits, Latin letters, space, `-`, `?`, `#`.
    public func canDraw(_ text: String) -> Bool {
        text.allSatisfy { BitmapFont.glyph(for: $0) != nil }
    }

    /// Draws as many whole characters as fit in `maxWidth`; characters the font lacks become `?`.
    public func draw(_ text: String, on image: inout Image, x: Int, y: Int, maxWidth: Int, color: [UInt8]) {
        // Whole characters only: n of them take (6n − 1)·scale pixels.
        let fitting = max(0, (maxWidth / scale + 1) / BitmapFont.advance)
        image.drawText(String(text.prefix(fitting)), x: x, y: y, scale: scale, color: color)
    }
}

extension Image {
    /// Blends `color` into the pixel at (`x`, `y`) with `coverage` (0: unchanged, 255: `color`),
    /// as an anti-aliased glyph is drawn; pixels outside the image are skipped. `color` has one
    /// value per channel.
    public mutating func blend(x: Int, y: Int, color: [UInt8], coverage: UInt8) {
        guard coverage > 0, x >= 0, y >= 0, x < width, y < height else { return }
        let base = (y * width + x) * channels
        let alpha = Int(coverage)
        for k in 0..<channels {
            let old = Int(pixels[base + k])
            pixels[base + k] = UInt8((old * (255 - alpha) + Int(color[k]) * alpha + 127) / 255)
        }
    }
}
