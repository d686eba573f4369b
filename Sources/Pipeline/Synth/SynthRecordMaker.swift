internal import ShardKitSupport
import Shards
import Examples
import Imaging
import Synth

/// Makes the records of one split: record `r` is copy `r % copies` of string `r / copies`,
/// augmented (when a spec is given) with `RecordKey("split/index/copy").generator(seed:)`.
struct SynthRecordMaker: Sendable {
    let synthesizer: DigitStringSynthesizer
    let split: String
    let augment: AugmentSpec?
    let copies: Int
    let encoding: ImageEncoding

    /// The augmentation key of copy `copy` of string `index`: `"train/42/1"`.
    static func augmentKey(split: String, index: Int, copy: Int) -> String { "\(split)/\(index)/\(copy)" }

    /// The image and labels of record `record`.
    func sample(_ record: Int, augmenter: Augmenter?) -> (image: Image, string: DigitString) {
        let index = record / copies
        let copy = record % copies
        let string = synthesizer.synthesize(split: split, index: index)
        guard let augmenter else { return (string.image, string) }
        var rng = RecordKey(Self.augmentKey(split: split, index: index, copy: copy)).generator(seed: synthesizer.configuration.seed)
        return (augmenter.apply(to: string.image, rng: &rng), string)
    }

    /// Appends the serialized `tf.train.Example` of record `record` to `buffer`.
    func append(_ record: Int, augmenter: Augmenter?, to buffer: inout [UInt8]) throws(DatasetError) {
        let (image, string) = sample(record, augmenter: augmenter)
        try Self.example(image: image, string: string, encoding: encoding).serialize(into: &buffer)
    }

    /// `image` (raw bytes, PNG or JPEG), `length`, `digits` (five, 10 = none): the SVHN schema.
    static func example(
        image: Image, string: DigitString, encoding: ImageEncoding
    ) throws(DatasetError) -> Example {
        let bytes: [UInt8]
        switch encoding {
        case .raw: bytes = image.pixels
        case .png:
            do { bytes = try PNGCodec.encode(image) } catch {
                throw DatasetError(.output, "cannot encode a PNG: \(error)")
            }
        case .jpeg:
            do { bytes = try JPEGCodec.encode(image, quality: 95) } catch {
                throw DatasetError(.output, "cannot encode a JPEG: \(error)")
            }
        }
        return Example([
            "image": .bytes([bytes]),
            "length": .int64([Int64(string.length)]),
            "digits": .int64(string.paddedDigits.map(Int64.init)),
        ])
    }

    func makeAugmenter() -> Augmenter? {
        guard let augment, !augment.steps.isEmpty else { return nil }
        return Augmenter(spec: augment)
    }
}
