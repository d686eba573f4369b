import Examples
import Shards
import Imaging

/// Turns one record (or one image file) into the model's input floats and labels, following an
/// `InputSpec`. Not thread-safe (it owns an `Augmenter`): one per thread.
final class Preprocessor {
    let spec: InputSpec
    /// How the records store their images (the manifest's spec for the split read); nil for a
    /// preprocessor of image files (`predict`), which decodes them itself.
    let stored: ImageSpec?
    private let augmenter: Augmenter
    private var digits: [Int64] = []

    /// - Parameters:
    ///   - training: use the training augmentation (else the evaluation one).
    ///   - stored: how the records store their images (from the manifest).
    init(spec: InputSpec, training: Bool, stored: ImageSpec? = nil) {
        self.spec = spec
        self.stored = stored
        augmenter = Augmenter(spec: training ? spec.trainAugment : spec.evalAugment)
    }

    /// Number of floats per image.
    var floatsPerImage: Int { spec.inputShape.reduce(1, *) }

    /// Decodes a record's image bytes as the stored spec says (PNG, JPEG or raw pixels of its
    /// shape), with the model's channel count. Throws a plain message; callers add the place.
    func decodeImage(_ bytes: UnsafeRawBufferPointer) throws(DataError) -> Image {
        guard let stored else {
            throw DataError(path: "", message: "no image spec: records are read with the manifest's")
        }
        do { return try stored.decode(bytes, channels: spec.inputShape[2]) } catch {
            throw DataError(
                path: "", message: "image: not a \(stored.shapeText) \(stored.encoding.rawValue) image: \(error.message)",
                underlying: error)
        }
    }

    /// Augments `image` and resizes it to the input size if needed.
    func prepare(_ image: Image, rng: inout some RandomNumberGenerator) -> Image {
        var out = augmenter.apply(to: image, rng: &rng)
        let (h, w, c) = (spec.inputShape[0], spec.inputShape[1], spec.inputShape[2])
        if out.channels != c { out = out.converted(toChannels: c) }
        if out.height != h || out.width != w { out = out.resizedBilinear(height: h, width: w) }
        return out
    }

    /// Writes the normalized floats of `image` (already of the input size) at `destination`.
    func normalize(_ image: Image, into destination: UnsafeMutablePointer<Float>) {
        switch spec.normalization {
        case .scale:
            image.pixels.withUnsafeBufferPointer { p in
                for i in 0..<p.count { destination[i] = Float(p[i]) * (1 / 255) }
            }
        case .standardize:
            let values = image.perImageStandardization()
            values.withUnsafeBufferPointer { p in destination.update(from: p.baseAddress!, count: p.count) }
        }
    }

    /// Parses a serialized Example: writes its prepared image at `destination` and appends one
    /// label per head to `labels`. Errors carry the message only; the loader adds the place.
    func process(
        record: UnsafeRawBufferPointer, into destination: UnsafeMutablePointer<Float>, labels: inout [[Int32]],
        rng: inout some RandomNumberGenerator
    ) throws(DataError) {
        func fail(_ message: String) -> DataError { DataError(path: "", message: message) }
        let view: ExampleView
        do { view = try ExampleView(unsafeBytes: record) } catch { throw fail("not a tf.train.Example: \(error)") }
        guard let imageFeature = view.feature(spec.imageKey) else { throw fail("no '\(spec.imageKey)' feature") }
        guard imageFeature.kind == .bytes, let bytes = imageFeature.firstBytes else {
            throw fail("'\(spec.imageKey)': expected bytes, found \(imageFeature.kind.rawValue)")
        }
        let image = prepare(try decodeImage(bytes), rng: &rng)
        switch spec.labels {
        case .classifier(let key, let classes):
            let value = try int64s(view, key, count: 1)[0]
            guard value >= 0 && value < classes else {
                throw fail("'\(key)': expected a class in 0..<\(classes), found \(value)")
            }
            labels[0].append(Int32(value))
        case .digitString(let lengthKey, let digitsKey):
            let length = try int64s(view, lengthKey, count: 1)[0]
            guard length >= 0 else { throw fail("'\(lengthKey)': expected 0 or more, found \(length)") }
            labels[0].append(Int32(min(length, 6)))
            let values = try int64s(view, digitsKey, count: 5)
            for (k, d) in values.enumerated() {
                guard (0...10).contains(d) else { throw fail("'\(digitsKey)'[\(k)]: expected 0...10, found \(d)") }
                labels[k + 1].append(Int32(d))
            }
        }
        normalize(image, into: destination)
    }

    private func int64s(_ view: ExampleView, _ key: String, count: Int) throws(DataError) -> [Int64] {
        guard let f = view.feature(key) else { throw DataError(path: "", message: "no '\(key)' feature") }
        guard f.kind == .int64, f.count == count else {
            throw DataError(
                path: "", message: "'\(key)': expected \(count) int64, found \(f.count) \(f.kind.rawValue)")
        }
        digits.removeAll(keepingCapacity: true)
        f.appendInt64s(to: &digits)
        return digits
    }
}
