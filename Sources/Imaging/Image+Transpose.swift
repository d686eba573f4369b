extension Image {
    /// `tf.image.transpose`: rows become columns (pixel (r, c) moves to (c, r)), so a
    /// `height × width` image becomes `width × height`. EMNIST stores its images this way.
    public func transposed() -> Image {
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<height {
                    for c in 0..<width {
                        for k in 0..<channels {
                            dst[(c * height + r) * channels + k] = src[(r * width + c) * channels + k]
                        }
                    }
                }
            }
        }
        return Image(height: width, width: height, channels: channels, pixels: out)
    }
}
