internal import ShardKitSupport
import Shards
import Formats
import Examples
import Foundation

/// A sample as a source of the dataset spine hands it out: the sample, and the key its random
/// draws are made from (convert's `SampleKey`, synth's `SynthKey`, generate's record number).
protocol KeyedSample {
    associatedtype Sample
    associatedtype Key: Hashable & Sendable
    var sample: Sample { get }
    var key: Key { get }
}

/// The source of the dataset spine, for every writing command: a lazy sequence of keyed
/// samples, read in order on the engine's reading thread. `DatasetSource` reads a format's
/// files (convert); `CountedSource` numbers the records of commands that make each record from
/// its number (synth, generate).
protocol SampleSource: AnyObject {
    associatedtype Element: KeyedSample
    /// The next sample with its key, nil after the last.
    func next() throws(DatasetError) -> Element?
}

/// A file being read by a `DatasetSource`, with the strings records need worked out once per
/// file rather than once per record (`URL.path` costs about a microsecond).
struct SourceFile: Sendable {
    let url: URL
    /// `url.path`.
    let path: String
    /// The file name without its extension.
    let stem: String

    init(_ url: URL) {
        self.url = url
        path = url.path
        stem = url.deletingPathExtension().lastPathComponent
    }

    /// A file on disk or inside an archive: `path` is the archive's path followed by the entry's.
    init(_ input: InputFile) {
        self.init(input.url)
    }
}

/// The key of one source sample before its copy number: the file it names (by a path whose last
/// component is the file's name) and its index there. `recordKey(copy:)` is the one place the
/// "(file name, index, copy)" rule of the augmentation stream is written: `"name/index/copy"`,
/// the text every converted dataset's augmentation has used, so shard bytes stay.
///
/// The name is cut out of the path only when a key is made (augmented records), so a run
/// without augmentation pays nothing for it.
struct SampleKey: Sendable, Hashable {
    /// A path ending in the name of the file the sample comes from: its source file, or the
    /// image it names (SVHN's PNG, a folder's image file).
    let path: String
    /// The sample's position in that source file (for SVHN, in digitStruct.mat).
    let index: Int

    /// The random stream key of copy `copy` (0 for the only or first copy) of this sample.
    func recordKey(copy: Int) -> RecordKey {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return RecordKey("\(name)/\(index)/\(copy)")
    }
}

/// One sample as a `DatasetSource` hands it out: the sample as the reader decoded it, its key,
/// and where it came from (for errors and for features named after the file).
struct SourcedSample<Sample> {
    var sample: Sample
    var key: SampleKey
    /// The source file it was read from.
    var file: SourceFile
    /// Its position in `file`, samples skipped included.
    var index: Int
    /// Its position over all of the source's files, samples skipped included (CIFAR numbers a
    /// split's records with it).
    var ordinal: Int
}

extension SourcedSample: Sendable where Sample: Sendable {}

extension SourcedSample: KeyedSample {}

/// A lazy sequence of a format's samples over its files, read one after another with readers
/// made by `open`, each sample with its `SampleKey`: the source of the dataset spine. It can
/// start `skip` samples in (a worker's first shard): the readers move past those without decoding
/// them (`FormatReader.skip`), and indexes and keys count them.
final class DatasetSource<Reader: FormatReader>: SampleSource {
    typealias Sample = Reader.Sample

    private let files: [InputFile]
    private let open: (InputFile) throws(FormatError) -> Reader
    /// The path whose last component names a sample in its key, when that is not the source
    /// file's (SVHN: the PNG a digitStruct entry names).
    private let keyPath: ((Sample, SourceFile) -> String)?
    private var fileIndex = 0
    private var reader: Reader?
    private var file: SourceFile?
    private var toSkip: Int
    /// Position in the current file, and over all files.
    private var index = 0
    private var ordinal: Int

    /// A source over `files`, each read by `open(file)`, starting `skip` samples in. Keys name
    /// each sample's source file unless `keyPath` gives another path for it.
    init(
        _ files: [InputFile], skip: Int = 0, open: @escaping (InputFile) throws(FormatError) -> Reader,
        keyPath: ((Sample, SourceFile) -> String)? = nil
    ) {
        self.files = files
        self.open = open
        self.keyPath = keyPath
        toSkip = skip
        ordinal = skip
    }

    /// The same over files on disk.
    convenience init(
        _ urls: [URL], skip: Int = 0, open: @escaping (URL) throws(FormatError) -> Reader,
        keyPath: ((Sample, SourceFile) -> String)? = nil
    ) {
        self.init(
            urls.map { InputFile(disk: $0) }, skip: skip, open: { file throws(FormatError) in try open(file.url) },
            keyPath: keyPath)
    }

    /// The next sample with its key and place, nil after the last file's last sample.
    func next() throws(DatasetError) -> SourcedSample<Sample>? {
        while fileIndex < files.count {
            if reader == nil {
                let input = files[fileIndex]
                let opened = try reading { () throws(FormatError) in try open(input) }
                index = 0
                if toSkip > 0 {
                    let wanted = toSkip
                    let skipped = try reading { () throws(FormatError) in try opened.skip(wanted) }
                    toSkip -= skipped
                    index = skipped
                }
                reader = opened
                file = SourceFile(input)
            }
            let current = reader!
            if let sample = try reading({ () throws(FormatError) in try current.next() }) {
                let file = file!
                defer {
                    index += 1
                    ordinal += 1
                }
                return SourcedSample(
                    sample: sample, key: SampleKey(path: keyPath?(sample, file) ?? file.path, index: index), file: file,
                    index: index, ordinal: ordinal)
            }
            reader = nil
            fileIndex += 1
        }
        return nil
    }

    /// The pass's record pull: each sample through `recipe`; those it leaves out are counted in
    /// `skips` under its reason.
    func records<Recipe: SampleRecipe>(_ recipe: Recipe, skips: SkipCounter? = nil) -> RecordPull
    where Recipe.Sample == Sample {
        { () throws(DatasetError) -> PendingRecord? in
            while let sourced = try self.next() {
                if let reason = recipe.skipReason(sourced) {
                    skips?.add(reason)
                    continue
                }
                return try recipe.record(sourced)
            }
            return nil
        }
    }
}

/// The recipe of the dataset spine, for every writing command: a pure step from a keyed sample
/// to what the command makes of it (convert: a `PendingRecord` its workers finish; synth and
/// generate: the Example). The same input gives the same output on any thread. `Workspace` is
/// per-thread scratch a step reuses from sample to sample (an augmentation engine and its
/// buffers), made once per engine chunk; it never changes the output.
protocol RecordRecipe: Sendable {
    associatedtype Input: KeyedSample
    associatedtype Output
    associatedtype Workspace = Void
    /// Fresh scratch for one thread.
    func makeWorkspace() -> Workspace
    /// What `input` becomes; throws for a sample that cannot be made, naming where it came from.
    func make(_ input: Input, workspace: inout Workspace) throws(DatasetError) -> Output
}

extension RecordRecipe where Workspace == Void {
    /// Nothing to keep between samples.
    func makeWorkspace() {}
}

extension RecordRecipe where Output == Example, Input: Sendable {
    /// The engine's encoder for this step (`OrderedEncoder.makeEncoder`): one workspace per
    /// chunk, each input's Example serialized into the chunk's buffer and, with
    /// `observingSchema`, added to its schema.
    func encoder(observingSchema: Bool) -> @Sendable () -> OrderedEncoder<Input>.Encode {
        {
            var workspace = self.makeWorkspace()
            return { (input, buffer, schema) throws(DatasetError) in
                let example = try self.make(input, workspace: &workspace)
                if observingSchema { schema.observe(example) }
                example.serialize(into: &buffer)
            }
        }
    }
}

/// A format's per-sample step, convert's recipe: a pure function from a sourced
/// sample (the sample and its key) to its record, every feature but the image final and the
/// image as read or as a step the encoding workers run (`PendingImage`). The same sample and
/// key give the same record, on any thread; the record carries the key, from which
/// `RecordEncoder` draws the augmentation stream. It runs on the reading thread, so it needs no
/// workspace.
protocol SampleRecipe: RecordRecipe
where Input == SourcedSample<Sample>, Output == PendingRecord, Workspace == Void {
    /// What the format's reader yields.
    associatedtype Sample
    /// Why `sourced` is left out on purpose (counted, not an error), or nil to keep it.
    func skipReason(_ sourced: SourcedSample<Sample>) -> String?
    /// The record of a kept sample; throws for a sample that cannot be converted, naming its
    /// file and index.
    func record(_ sourced: SourcedSample<Sample>) throws(DatasetError) -> PendingRecord
}

extension SampleRecipe {
    /// Every sample is kept.
    func skipReason(_ sourced: SourcedSample<Sample>) -> String? { nil }

    /// `record(_:)`, as the spine's recipe.
    func make(_ input: SourcedSample<Sample>, workspace: inout Void) throws(DatasetError) -> PendingRecord {
        try record(input)
    }
}

/// One numbered sample of a `CountedSource`: the record number and its key.
struct CountedSample<Key: Hashable & Sendable>: KeyedSample, Sendable {
    /// The record's number in its split.
    var sample: Int
    var key: Key
}

/// The records numbered `ranges` (ascending, empty ranges allowed), each with the key
/// `key(number)` gives: the source of synth and generate, whose records are pure functions of
/// their numbers. A worker's source holds just its shards' ranges.
final class CountedSource<Key: Hashable & Sendable>: SampleSource {
    private let ranges: [Range<Int>]
    private let key: (Int) -> Key
    private var rangeIndex = 0
    private var number: Int

    /// The numbers in `ranges`, keyed by `key`.
    init(_ ranges: [Range<Int>], key: @escaping (Int) -> Key) {
        self.ranges = ranges
        self.key = key
        number = ranges.first?.lowerBound ?? 0
    }

    func next() -> CountedSample<Key>? {
        while rangeIndex < ranges.count {
            if number < ranges[rangeIndex].upperBound {
                defer { number += 1 }
                return CountedSample(sample: number, key: key(number))
            }
            rangeIndex += 1
            if rangeIndex < ranges.count { number = ranges[rangeIndex].lowerBound }
        }
        return nil
    }
}
