internal import ShardKitSupport
import Imaging
public import Shards

/// Everything one raw format means on the Pipeline/CLI side, in one type per format (a
/// `<Name>Conversion.swift` file): the words `shardkit convert` takes for it and what the help
/// says about them, its defaults, its plan over a `Formats` reader (passes, TFDS features,
/// a `DatasetSource` per pass, and its per-sample step: a `SampleRecipe` from sample and key to
/// `PendingRecord`), and any per-record image step that runs on the encoding workers
/// (a `DeferredImage` of its own). Nothing outside that file and `FormatRegistry.recipes` names
/// a format.
protocol FormatRecipe: Sendable {
    /// The words this recipe serves, in the order help lists them (MNIST's serves four).
    static var words: [FormatWord] { get }

    /// The passes, features and metadata of converting `options.input` as `format` (one of
    /// `words`), with `image` stored as `encoding`.
    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan

    /// The options of the format's own that change its records, as readable pairs added to the
    /// run's fingerprint (a resumed run or another worker must agree on them).
    static func fingerprint(_ options: ConvertOptions, format: DatasetFormat) -> [String: String]
}

extension FormatRecipe {
    static func fingerprint(_ options: ConvertOptions, format: DatasetFormat) -> [String: String] { [:] }
}

/// The one list of formats. Swift has no reflection to find the `FormatRecipe` types, so a new
/// format adds its recipe here, one line; the CLI's words, help table, examples and option checks
/// all come from this list.
enum FormatRegistry {
    static let recipes: [any FormatRecipe.Type] = [
        MNISTConversion.self,
        CIFARConversion.self,
        SVHNConversion.self,
        HWDBConversion.self,
        SVHNCroppedConversion.self,
        FolderConversion.self,
    ]

    /// Every word with its recipe, in `recipes` order.
    static let entries: [(word: FormatWord, recipe: any FormatRecipe.Type)] = recipes.flatMap { recipe in
        recipe.words.map { (word: $0, recipe: recipe) }
    }

    /// Word → its entry.
    static let byWord: [String: (word: FormatWord, recipe: any FormatRecipe.Type)] = Dictionary(
        entries.map { ($0.word.format.rawValue, $0) }, uniquingKeysWith: { first, _ in first })

    /// The entry of `format`, which every `DatasetFormat` has (the public initializer accepts
    /// only registered words; the static members are the recipes' own).
    static func entry(_ format: DatasetFormat) -> (word: FormatWord, recipe: any FormatRecipe.Type) {
        guard let entry = byWord[format.rawValue] else {
            preconditionFailure("format \(format.rawValue) has no recipe in FormatRegistry.recipes")
        }
        return entry
    }
}

/// The options of `shardkit convert` that only some formats take; each `FormatWord` lists
/// those it takes, and the CLI refuses the others (exit 64) naming the formats that do.
public enum FormatOption: String, Sendable, CaseIterable {
    /// SVHN: skip PNGs digitStruct.mat names but the input lacks.
    case skipMissing = "--skip-missing"
    /// SVHN: also convert `extra/`.
    case includeExtra = "--include-extra"
    /// A share of train routed to validation.
    case validationFraction = "--validation-fraction"
    /// The side of square output images.
    case size = "--size"
    /// Gray or RGB output.
    case channels = "--channels"
    /// Leave out unreadable image files.
    case skipCorrupt = "--skip-corrupt"
    /// Transpose every image (idx files).
    case transpose = "--transpose"
    /// EMNIST's set.
    case subset = "--subset"
    /// HWDB's character dictionary.
    case dictionary = "--dictionary"
}

/// One word `shardkit convert` takes, with what the CLI says about it and its defaults.
struct FormatWord: Sendable {
    var format: DatasetFormat
    /// Its line in `--input`'s table: the forms the input may take.
    var input: String
    /// Whole example command lines (each under 80 columns).
    var examples: [String] = []
    /// A sentence for the help's notes on what the format does beyond reading, or nil.
    var note: String? = nil
    /// How `image` is stored unless `--image-encoding` says otherwise.
    var defaultImageEncoding: ImageEncoding = .png
    /// The share of train routed to validation unless `--validation-fraction` says otherwise.
    var defaultValidationFraction: Double = 0
    /// The format-specific options the word takes.
    var options: Set<FormatOption> = []
}

/// A raw dataset format `DatasetConverter` reads, named by the word `shardkit convert` takes
/// (`mnist`, `svhn-cropped`). The known values are those of `FormatRegistry.recipes`, each
/// declared as a static member in its recipe's file (`DatasetFormat.mnist`).
public struct DatasetFormat: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The CLI word.
    public let rawValue: String

    /// The registered format of that word, or nil for an unknown word.
    public init?(rawValue: String) {
        guard FormatRegistry.byWord[rawValue] != nil else { return nil }
        self.rawValue = rawValue
    }

    /// A recipe's own word, for its static member; it must be listed in the recipe's `words`.
    init(word: String) { rawValue = word }

    /// Every format, in the order help lists them.
    public static var allCases: [DatasetFormat] { FormatRegistry.entries.map(\.word.format) }

    /// The CLI word.
    public var description: String { rawValue }

    /// How `image` is stored unless `--image-encoding` says otherwise.
    public var defaultImageEncoding: ImageEncoding { FormatRegistry.entry(self).word.defaultImageEncoding }

    /// The share of train records routed to validation unless `--validation-fraction` says
    /// otherwise (SVHN sets one aside; a folder gets a validation split only when asked).
    public var defaultValidationFraction: Double { FormatRegistry.entry(self).word.defaultValidationFraction }

    /// What `--input` may be, for the help's table.
    public var inputHelp: String { FormatRegistry.entry(self).word.input }

    /// Example command lines for the help.
    public var examples: [String] { FormatRegistry.entry(self).word.examples }

    /// What the format does beyond reading, for the help; nil when nothing needs saying.
    public var note: String? { FormatRegistry.entry(self).word.note }

    /// Whether the format takes `option`.
    public func takes(_ option: FormatOption) -> Bool { FormatRegistry.entry(self).word.options.contains(option) }

    /// The recipe that converts this format.
    var recipe: any FormatRecipe.Type { FormatRegistry.entry(self).recipe }
}
