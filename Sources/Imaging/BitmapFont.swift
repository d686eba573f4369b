/// A built-in 5×7 pixel font for labelling images (`shardkit inspect --grid`): digits, Latin
/// letters, space, `-`, `?` and `#`. Each glyph is 7 rows of 5 bits, the leftmost pixel in
/// bit 4; glyphs advance 6 pixels (one blank column) at scale 1.
public enum BitmapFont {
    /// Pixel columns of every glyph at scale 1.
    public static let glyphWidth = 5
    /// Pixel rows of every glyph at scale 1 (no descenders: the line is exactly this high).
    public static let glyphHeight = 7
    /// Horizontal distance between consecutive glyphs at scale 1.
    public static let advance = 6

    /// The 7 rows of `character`'s glyph, or `nil` if the font has none.
    public static func glyph(for character: Character) -> [UInt8]? {
        glyphs[character]
    }

    /// The glyph drawn for `character`: its own, or `?`'s.
    public static func glyphOrReplacement(for character: Character) -> [UInt8] {
        glyphs[character] ?? glyphs["?"]!
    }

    /// Width in pixels of `text` drawn at `scale` (no trailing blank column).
    public static func width(of text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    private static let glyphs: [Character: [UInt8]] = {
        var table: [Character: [UInt8]] = [:]
        for (character, rows) in designs {
            table[character] = rows.split(separator: " ").map { row in
                row.reduce(UInt8(0)) { ($0 << 1) | ($1 == "#" ? 1 : 0) }
            }
        }
        return table
    }()

    private static let designs: [(Character, String)] = [
        ("0", ".###. #...# #..## #.#.# ##..# #...# .###."), ("1", "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("2", ".###. #...# ....# ...#. ..#.. .#... #####"), ("3", "##### ...#. ..#.. ...#. ....# #...# .###."),
        ("4", "...#. ..##. .#.#. #..#. ##### ...#. ...#."), ("5", "##### #.... ####. ....# ....# #...# .###."),
        ("6", "..##. .#... #.... ####. #...# #...# .###."), ("7", "##### ....# ...#. ..#.. .#... .#... .#..."),
        ("8", ".###. #...# #...# .###. #...# #...# .###."), ("9", ".###. #...# #...# .#### ....# ...#. .##.."),
        ("A", ".###. #...# #...# ##### #...# #...# #...#"), ("B", "####. #...# #...# ####. #...# #...# ####."),
        ("C", ".###. #...# #.... #.... #.... #...# .###."), ("D", "###.. #..#. #...# #...# #...# #..#. ###.."),
        ("E", "##### #.... #.... ####. #.... #.... #####"), ("F", "##### #.... #.... ####. #.... #.... #...."),
        ("G", ".###. #...# #.... #.### #...# #...# .####"), ("H", "#...# #...# #...# ##### #...# #...# #...#"),
        ("I", ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###."), ("J", "..### ...#. ...#. ...#. ...#. #..#. .##.."),
        ("K", "#...# #..#. #.#.. ##... #.#.. #..#. #...#"), ("L", "#.... #.... #.... #.... #.... #.... #####"),
        ("M", "#...# ##.## #.#.# #.#.# #...# #...# #...#"), ("N", "#...# #...# ##..# #.#.# #..## #...# #...#"),
        ("O", ".###. #...# #...# #...# #...# #...# .###."), ("P", "####. #...# #...# ####. #.... #.... #...."),
        ("Q", ".###. #...# #...# #...# #.#.# #..#. .##.#"), ("R", "####. #...# #...# ####. #.#.. #..#. #...#"),
        ("S", ".#### #.... #.... .###. ....# ....# ####."), ("T", "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
        ("U", "#...# #...# #...# #...# #...# #...# .###."), ("V", "#...# #...# #...# #...# #...# .#.#. ..#.."),
        ("W", "#...# #...# #...# #.#.# #.#.# #.#.# .#.#."), ("X", "#...# #...# .#.#. ..#.. .#.#. #...# #...#"),
        ("Y", "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.."), ("Z", "##### ....# ...#. ..#.. .#... #.... #####"),
        ("a", "..... ..... .###. ....# .#### #...# .####"), ("b", "#.... #.... #.##. ##..# #...# #...# ####."),
        ("c", "..... ..... .###. #.... #.... #...# .###."), ("d", "....# ....# .##.# #..## #...# #...# .####"),
        ("e", "..... ..... .###. #...# ##### #.... .###."), ("f", "..##. .#..# .#... ###.. .#... .#... .#..."),
        ("g", "..... .#### #...# #...# .#### ....# .###."), ("h", "#.... #.... #.##. ##..# #...# #...# #...#"),
        ("i", "..#.. ..... .##.. ..#.. ..#.. ..#.. .###."), ("j", "...#. ..... ..##. ...#. ...#. #..#. .##.."),
        ("k", "#.... #.... #..#. #.#.. ##... #.#.. #..#."), ("l", ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("m", "..... ..... ##.#. #.#.# #.#.# #...# #...#"), ("n", "..... ..... #.##. ##..# #...# #...# #...#"),
        ("o", "..... ..... .###. #...# #...# #...# .###."), ("p", "..... ..... ####. #...# ####. #.... #...."),
        ("q", "..... ..... .##.# #..## .#### ....# ....#"), ("r", "..... ..... #.##. ##..# #.... #.... #...."),
        ("s", "..... ..... .###. #.... .###. ....# ####."), ("t", ".#... .#... ###.. .#... .#... .#..# ..##."),
        ("u", "..... ..... #...# #...# #...# #..## .##.#"), ("v", "..... ..... #...# #...# #...# .#.#. ..#.."),
        ("w", "..... ..... #...# #...# #.#.# #.#.# .#.#."), ("x", "..... ..... #...# .#.#. ..#.. .#.#. #...#"),
        ("y", "..... ..... #...# #...# .#### ....# .###."), ("z", "..... ..... ##### ...#. ..#.. .#... #####"),
        (" ", "..... ..... ..... ..... ..... ..... ....."), ("-", "..... ..... ..... ##### ..... ..... ....."),
        ("?", ".###. #...# ....# ...#. ..#.. ..... ..#.."), ("#", ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#."),
    ]
}

extension Image {
    /// Draws `text` with its top-left corner at (`x`, `y`), each font pixel a `scale × scale`
    /// block in `color` (one value per channel; a 3-value colour on a gray image is drawn as
    /// its `rgb_to_grayscale` value). Characters without a glyph are drawn as `?`; pixels
    /// outside the image are skipped. Only set pixels are painted (the background shows through).
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: [UInt8] = [255, 255, 255]) {
        precondition(scale > 0, "scale must be positive")
        var ink = color
        if channels == 1 && color.count == 3 {
            ink = Image(height: 1, width: 1, channels: 3, pixels: color).grayscale().pixels
        }
        precondition(ink.count == channels, "color needs \(channels) values")
        var penX = x
        for character in text {
            let rows = BitmapFont.glyphOrReplacement(for: character)
            for (r, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                    fill(x: penX + col * scale, y: y + r * scale, width: scale, height: scale, color: ink)
                }
            }
            penX += BitmapFont.advance * scale
        }
    }

    /// Paints a rectangle, clipped to the image.
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: [UInt8]) {
        let x0 = max(x, 0)
        let x1 = min(x + w, width)
        let y0 = max(y, 0)
        let y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        let c = channels
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                for col in x0..<x1 {
                    let base = (row * width + col) * c
                    for k in 0..<c { p[base + k] = color[k] }
                }
            }
        }
    }
}
