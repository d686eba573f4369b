internal import CShardKitFreeType
package import ShardKitSupport
public import Imaging

/// A FreeType failure: the font file, what was being done, and FreeType's error code and message.
public struct GlyphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The font file involved.
    public var fontPath: String
    /// What failed, e.g. `"cannot load the font"`.
    public var operation: String
    /// FreeType's `FT_Error` (0 when the failure is ours, e.g. a font without the glyphs wanted).
    public var code: Int32
    /// FreeType's message for `code`, or ours.
    public var reason: String

    /// An error with its message given; code 1 (FreeType's "cannot open resource") counts as a
    /// missing input, any other as a malformed one.
    public init(fontPath: String, operation: String, code: Int32, reason: String) {
        self.fontPath = fontPath
        self.operation = operation
        self.code = code
        self.reason = reason
    }

    /// An error for FreeType's `code`, with FreeType's own message for it.
    init(fontPath: String, operation: String, code: FT_Error) {
        let message = shardkit_freetype_error_message(code).map { String(cString: $0) } ?? "unknown error"
        self.init(fontPath: fontPath, operation: operation, code: code, reason: "FreeType error \(code): \(message)")
    }

    /// One line: the font file, what failed, and why.
    public var description: String { "\(fontPath): \(operation): \(reason)" }
}

extension GlyphError: CategorizedError {
    /// A font that cannot be opened or read is an input problem.
    package var category: ErrorCategory { code == 1 ? .missingInput : .malformedInput }
}

/// One rendered glyph: 8-bit coverage (0 blank, 255 fully inked), row-major, `width × height`,
/// placed `left` pixels right of the pen and `top` pixels above the baseline.
public struct GlyphBitmap: Sendable, Equatable {
    /// Columns of `coverage`; 0 for a glyph with no ink (a space).
    public var width: Int
    /// Rows of `coverage`.
    public var height: Int
    /// Pixels from the pen position to the bitmap's left edge (FreeType's `bitmap_left`; may be negative).
    public var left: Int
    /// Pixels from the baseline up to the bitmap's top row (FreeType's `bitmap_top`).
    public var top: Int
    /// Pixels the pen moves right after this glyph.
    public var advance: Int
    /// `width × height` ink values, top row first, one byte per pixel.
    public var coverage: [UInt8]
}

/// Renders text with FreeType from one face of a font file (TrueType, OpenType, collections),
/// anti-aliased at a pixel size. Owns its `FT_Library` and `FT_Face` and frees them when released;
/// every FreeType failure is a `GlyphError`. Not safe to share between threads (FreeType faces
/// are not): make one per thread.
public final class GlyphRenderer {
    /// The font file.
    public let fontPath: String
    /// The face of the file in use (a `.ttc` collection holds several).
    public let faceIndex: Int
    /// The face's family name, e.g. `"WenQuanYi Micro Hei"`.
    public let familyName: String
    /// The em size in pixels.
    public let pixelSize: Int
    /// Pixels from the top of a line to the baseline (rounded up from the face's metrics).
    public let ascent: Int
    /// Pixels from the baseline to the bottom of a line (rounded up; positive).
    public let descent: Int

    private let library: FT_Library
    private let face: FT_Face

    /// Opens `fontPath` at `pixelSize` pixels per em. In a collection, takes the first face whose
    /// family name contains `preferredFamily` (e.g. `"SC"` for Noto Sans CJK's Simplified
    /// Chinese face), else face 0.
    public init(fontPath: String, pixelSize: Int, preferredFamily: String? = nil) throws(GlyphError) {
        precondition(pixelSize > 0, "pixelSize must be positive")
        var library: FT_Library?
        let status = FT_Init_FreeType(&library)
        guard status == 0, let library else {
            throw GlyphError(fontPath: fontPath, operation: "cannot start FreeType", code: status)
        }
        func open(_ index: Int) throws(GlyphError) -> FT_Face {
            var face: FT_Face?
            let status = FT_New_Face(library, fontPath, FT_Long(index), &face)
            guard status == 0, let face else {
                throw GlyphError(fontPath: fontPath, operation: "cannot load the font", code: status)
            }
            return face
        }
        var face: FT_Face
        var index = 0
        do {
            face = try open(0)
            if let preferredFamily, face.pointee.num_faces > 1 {
                for candidate in 0..<Int(face.pointee.num_faces) {
                    let other = candidate == 0 ? face : try open(candidate)
                    if Self.family(of: other).contains(preferredFamily) {
                        if candidate != 0 { FT_Done_Face(face) }
                        face = other
                        index = candidate
                        break
                    }
                    if candidate != 0 { FT_Done_Face(other) }
                }
            }
        } catch {
            FT_Done_FreeType(library)
            throw error
        }
        let sizing = FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixelSize))
        guard sizing == 0 else {
            FT_Done_Face(face)
            FT_Done_FreeType(library)
            throw GlyphError(fontPath: fontPath, operation: "cannot set the size to \(pixelSize) pixels", code: sizing)
        }
        self.library = library
        self.face = face
        self.fontPath = fontPath
        self.faceIndex = index
        self.familyName = Self.family(of: face)
        self.pixelSize = pixelSize
        // Size metrics are 26.6 fixed point; round outwards so no ink is cut.
        let metrics = face.pointee.size.pointee.metrics
        ascent = Int((metrics.ascender + 63) >> 6)
        descent = Int((-metrics.descender + 63) >> 6)
    }

    deinit {
        FT_Done_Face(face)
        FT_Done_FreeType(library)
    }

    private static func family(of face: FT_Face) -> String {
        face.pointee.family_name.map { String(cString: $0) } ?? ""
    }

    /// True when the font has a glyph of its own for `scalar` (not the `.notdef` box).
    public func hasGlyph(_ scalar: Unicode.Scalar) -> Bool {
        FT_Get_Char_Index(face, FT_ULong(scalar.value)) != 0
    }

    /// The anti-aliased bitmap of `scalar`'s glyph (the `.notdef` box when the font lacks it).
    public func glyph(_ scalar: Unicode.Scalar) throws(GlyphError) -> GlyphBitmap {
        let status = FT_Load_Char(face, FT_ULong(scalar.value), FT_Int32(FT_LOAD_RENDER))
        guard status == 0 else {
            throw GlyphError(
                fontPath: fontPath, operation: "cannot render U+\(String(scalar.value, radix: 16, uppercase: true))",
                code: status)
        }
        let slot = face.pointee.glyph.pointee
        let bitmap = slot.bitmap
        let width = Int(bitmap.width)
        let height = Int(bitmap.rows)
        var coverage = [UInt8](repeating: 0, count: width * height)
        if width > 0 && height > 0, let buffer = bitmap.buffer {
            guard bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_GRAY.rawValue) else {
                throw GlyphError(
                    fontPath: fontPath, operation: "cannot render U+\(String(scalar.value, radix: 16, uppercase: true))",
                    code: 0, reason: "FreeType gave pixel mode \(bitmap.pixel_mode), not 8-bit gray")
            }
            // `pitch` is the signed byte distance between rows (negative: bottom-up).
            let pitch = Int(bitmap.pitch)
            let origin = pitch >= 0 ? buffer : buffer + (height - 1) * -pitch
            for row in 0..<height {
                let source = origin + row * pitch
                for column in 0..<width { coverage[row * width + column] = source[column] }
            }
        }
        return GlyphBitmap(
            width: width, height: height, left: Int(slot.bitmap_left), top: Int(slot.bitmap_top),
            advance: Int((slot.advance.x + 32) >> 6), coverage: coverage)
    }
}

extension GlyphRenderer: LabelTypeface {
    /// Ascent plus descent: room for every glyph of the face.
    public var lineHeight: Int { ascent + descent }

    /// True when the font has its own glyph for every scalar of `text`.
    public func canDraw(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(hasGlyph)
    }

    /// Draws `text` scalar by scalar (no shaping: labels are single characters and ASCII) with
    /// the baseline `ascent` below `y`, blending each glyph's coverage into `image`; stops before
    /// the first glyph that would reach past `x + maxWidth`. A glyph FreeType cannot render is
    /// skipped (a label is a hint, not data). A 3-value `color` on a gray image is drawn as its gray.
    public func draw(_ text: String, on image: inout Image, x: Int, y: Int, maxWidth: Int, color: [UInt8]) {
        var ink = color
        if image.channels == 1 && color.count == 3 {
            ink = Image(height: 1, width: 1, channels: 3, pixels: color).grayscale().pixels
        }
        precondition(ink.count == image.channels, "color needs \(image.channels) values")
        let baseline = y + ascent
        var penX = x
        for scalar in text.unicodeScalars {
            guard let glyph = try? glyph(scalar) else { continue }
            if penX + max(glyph.advance, glyph.left + glyph.width) > x + maxWidth { break }
            for row in 0..<glyph.height {
                for column in 0..<glyph.width {
                    image.blend(
                        x: penX + glyph.left + column, y: baseline - glyph.top + row, color: ink,
                        coverage: glyph.coverage[row * glyph.width + column])
                }
            }
            penX += glyph.advance
        }
    }
}
