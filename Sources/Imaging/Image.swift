/// An 8-bit image: `height` rows of `width` pixels of `channels` samples each (1 = gray, 3 = RGB),
/// stored row-major and interleaved (HWC), the layout TensorFlow's `tf.image` ops use.
public struct Image: Sendable, Equatable {
    /// Rows.
    public var height: Int
    /// Pixels per row.
    public var width: Int
    /// Samples per pixel: 1 (grayscale) or 3 (RGB).
    public var channels: Int
    /// `height × width × channels` bytes, row-major, channels interleaved.
    public var pixels: [UInt8]

    /// An image over existing pixel bytes; `pixels.count` must be `height × width × channels`.
    public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) {
        precondition(height >= 0 && width >= 0 && channels > 0, "invalid image shape")
        precondition(pixels.count == height * width * channels, "pixel count does not match the shape")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    /// A black (all-zero) image of the given shape.
    public init(height: Int, width: Int, channels: Int) {
        self.init(
            height: height, width: width, channels: channels,
            pixels: [UInt8](repeating: 0, count: height * width * channels))
    }
}
