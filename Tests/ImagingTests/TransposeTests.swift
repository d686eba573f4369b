import Imaging
import Testing

/// `Image.transposed()` is `tf.image.transpose`: pixel (r, c) moves to (c, r), per channel.
@Suite struct TransposeTests {
    @Test func grayAndRGB() {
        let gray = Image(height: 2, width: 3, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
        let t = gray.transposed()
        #expect(t == Image(height: 3, width: 2, channels: 1, pixels: [1, 4, 2, 5, 3, 6]))
        #expect(t.transposed() == gray)
        let rgb = Image(height: 1, width: 2, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
        #expect(rgb.transposed() == Image(height: 2, width: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6]))
        let square = Image(height: 2, width: 2, channels: 3, pixels: Array(0..<12))
        #expect(square.transposed().pixels == [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11])
    }
}
