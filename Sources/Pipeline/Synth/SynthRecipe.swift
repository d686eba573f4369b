internal import ShardKitSupport
import Shards
import Examples
import Imaging
import Synth

/// The key of one synth record, copy `copy` of string `index` of `split`: the one owner of
/// synth's two key rules, whose texts are those synth has always used (so shard bytes stay).
struct SynthKey: Hashable, Sendable {
    var split: String
    var index: Int
    var copy: Int

    /// The text the string's length, digits and layout are drawn with, `"train/42"`: every copy
    /// of a string is the same string.
    var drawKey: String { DigitStringSynthesizer.recordKey(split: split, index: index) }

    /// The key of the copy's augmentation stream, from the text `"train/42/1"`.
    var recordKey: RecordKey { RecordKey("\(split)/\(index)/\(copy)") }
}

/// Synth's recipe step for one split: a record's string drawn and rendered from its key,
/// augmented (when a spec is given) with the key's stream, encoded as the request asks, as the
/// SVHN-schema Example. Its source is `source(_:)`: record `r` is copy `r % copies` of string
/// `r / copies`.
struct SynthRecipe: RecordRecipe {
    let synthesizer: DigitStringSynthesizer
    let split: String
    let augment: AugmentSpec?
    let copies: Int
    let encoding: ImageEncoding

    /// What the records hold before augmentation: the synthesizer's image as `encoding`, the
    /// string's length, and its digits in five slots (10 = none): SVHN's schema.
    var spec: DatasetSpec {
        let (height, width, channels) = synthesizer.imageShape
        return DatasetSpec(features: [
            ("image", .image(shape: [height, width, channels], encoding: encoding)),
            ("length", .int64),
            ("digits", .int64Tensor(shape: [DigitString.labelSlots])),
        ])
    }

    /// The split's records numbered `ranges` (ascending), each keyed by its string and copy.
    func source(_ ranges: [Range<Int>]) -> CountedSource<SynthKey> {
        let (split, copies) = (split, copies)
        return CountedSource(ranges) { record in SynthKey(split: split, index: record / copies, copy: record % copies) }
    }

    /// One augmentation engine per thread, none without steps.
    func makeWorkspace() -> Augmenter? {
        guard let augment, !augment.steps.isEmpty else { return nil }
        return Augmenter(spec: augment)
    }

    /// The record's image (augmented when `augmenter` is given) and its string.
    func drawn(_ input: CountedSample<SynthKey>, augmenter: Augmenter?) -> (image: Image, string: DigitString) {
        let string = synthesizer.synthesize(key: input.key.drawKey)
        guard let augmenter else { return (string.image, string) }
        var rng = input.key.recordKey.generator(seed: synthesizer.configuration.seed)
        return (augmenter.apply(to: string.image, rng: &rng), string)
    }

    func make(_ input: CountedSample<SynthKey>, workspace augmenter: inout Augmenter?) throws(DatasetError) -> Example {
        let (image, string) = drawn(input, augmenter: augmenter)
        return try Self.example(image: image, string: string, encoding: encoding)
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
}
