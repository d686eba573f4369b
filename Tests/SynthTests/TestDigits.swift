import Imaging
import Synth

/// A small digit source: digit `i` is 28×28 with a bright block (rows 4..<24, columns 6..<22)
/// whose values depend on `i`, so every image is distinct.
enum TestDigits {
    static func image(_ i: Int) -> Image {
        var pixels = [UInt8](repeating: 0, count: 28 * 28)
        for y in 4..<24 {
            for x in 6..<22 { pixels[y * 28 + x] = UInt8(100 + (i * 7 + x + y) % 156) }
        }
        return Image(height: 28, width: 28, channels: 1, pixels: pixels)
    }

    static func source(count: Int = 30, labelOffset: Int = 0) throws -> DigitSource {
        try DigitSource(images: (0..<count).map(image), labels: (0..<count).map { ($0 + labelOffset) % 10 })
    }
}
