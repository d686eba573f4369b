internal import ShardKitSupport
/// Cropping, as `tf.image.crop_to_bounding_box`, `central_crop`-style centring and `random_crop`.
extension Image {
    /// `tf.image.crop_to_bounding_box(image, top, left, height, width)`. The box must lie
    /// inside the image.
    public func cropped(top: Int, left: Int, height h: Int, width w: Int) -> Image {
        precondition(
            top >= 0 && left >= 0 && h >= 0 && w >= 0 && top + h <= height && left + w <= width,
            "crop box (\(top), \(left), \(h), \(w)) outside a \(height)×\(width) image")
        let rowBytes = w * channels
        let out = [UInt8](unsafeUninitializedCapacity: h * rowBytes) { dst, n in
            pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let from = ((top + y) * width + left) * channels
                    UnsafeMutableRawBufferPointer(
                        rebasing: UnsafeMutableRawBufferPointer(dst)[(y * rowBytes)..<((y + 1) * rowBytes)]
                    )
                    .copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(src)[from..<(from + rowBytes)]))
                }
            }
            n = h * rowBytes
        }
        return Image(height: h, width: w, channels: channels, pixels: out)
    }

    /// A `height × width` box centred in the image; when the margin is odd the extra row or
    /// column is left at the bottom or right (offset = margin / 2, as `tf.image.resize_with_crop_or_pad`).
    public func centerCropped(height h: Int, width w: Int) -> Image {
        cropped(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
    }

    /// `tf.image.random_crop` to `height × width`: the top offset is drawn first, then the left
    /// offset, each uniform over every valid position (`0...height - h`, `0...width - w`).
    public func randomCropped(height h: Int, width w: Int, using rng: inout some RandomNumberGenerator) -> Image {
        let (top, left) = Image.randomCropOffset(height: height, width: width, cropHeight: h, cropWidth: w, using: &rng)
        return cropped(top: top, left: left, height: h, width: w)
    }

    /// The two draws of `randomCropped`: top, then left.
    static func randomCropOffset(
        height: Int, width: Int, cropHeight h: Int, cropWidth w: Int, using rng: inout some RandomNumberGenerator
    ) -> (top: Int, left: Int) {
        precondition(h <= height && w <= width, "crop \(h)×\(w) larger than the \(height)×\(width) image")
        let top = Draw.int(through: height - h, using: &rng)
        let left = Draw.int(through: width - w, using: &rng)
        return (top, left)
    }
}
