package import Imaging

extension GNTSample {
    /// The character image resized to `side × side` grayscale with `Image.resizedBilinear`
    /// (TensorFlow's bilinear, half-pixel centres), the size HWDB pipelines usually train on.
    /// The aspect ratio is not preserved, as in those pipelines.
    package func resizedImage(side: Int = 64) -> Image {
        image.resizedBilinear(height: side, width: side)
    }
}
