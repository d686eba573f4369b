import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Shards
import ShardKitSupport

/// `shardkit inspect`: counts, schema, a JSON dump and label histograms of shards.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show record counts, the feature schema, records as JSON and label histograms.",
        usage: "shardkit inspect [<options>] <paths> ...",
        discussion: """
            PATH is a record file (plain, GZIP or ZLIB: recognised by its first bytes) or a \
            directory, whose *.tfrecord* files are all read: train first, then validation, test \
            and other splits.

            --dump writes one JSON object per record. A bytes feature whose values are all UTF-8 \
            text (no control characters but tab and newline) is written as "text" strings, any \
            other (and image features always) as "bytes" in base64. See formats/example.md.

            --histogram counts each value of an int64 feature per split, with its class name \
            (from KEY.labels.txt beside the shards) or, for HWDB, its character.

            --grid draws each record's `image` (PNG, JPEG, or raw bytes shaped by the manifest's \
            image entry or by their size) with its label under it: the digits of a digit string, \
            the class name or number, or the HWDB character, drawn with a CJK font (Debian's \
            fonts-wqy-microhei or fonts-noto-cjk, or the file $SHARDKIT_CJK_FONT names; without \
            one, the class index #N).

            Examples:
              shardkit inspect out/mnist
              shardkit inspect out/mnist --dump 2
              shardkit inspect out/mnist --histogram label
              shardkit inspect out/hwdb --grid sheet.png --count 64 --random --seed 3
            """)

    @Argument(help: "Record files or directories of shards.")
    var paths: [String]

    @Option(help: "Print the first N records as JSON.")
    var dump: Int = 0

    @Option(help: "With --dump, show at most this many bytes of each bytes value (0: all).")
    var bytesPreview: Int = 32

    @Option(help: "Count how often each value of this int64 feature occurs, per split.")
    var histogram: String?

    @Option(help: "Instead of the report, draw a contact sheet of records into this PNG file.")
    var grid: String?

    @Option(help: "Records on the --grid sheet.")
    var count: Int = 32

    @Flag(help: "With --grid: a random sample of records (reservoir sampling), not the first.")
    var random = false

    @Option(help: "With --grid --random: the sampling seed.")
    var seed: UInt64 = 0

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one record file or directory") }
        guard dump >= 0 else { throw ValidationError("--dump must be 0 or more") }
        guard bytesPreview >= 0 else { throw ValidationError("--bytes-preview must be 0 or more") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        if grid == nil && random { throw ValidationError("--random needs --grid") }
    }

    func run() throws {
        try reportingErrors {
            let found = try ShardFiles.resolve(paths)
            guard !found.records.isEmpty else {
                throw DatasetError(.noInput, path: paths.joined(separator: " "), "no record files found")
            }
            if let grid {
                let renderer = ContactSheetRenderer(count: count, random: random, seed: seed)
                let result = try renderer.render(found.records)
                for note in result.notes {
                    FileHandle.standardError.write(Data("shardkit: note: \(note)\n".utf8))
                }
                try ContactSheetRenderer.writePNG(result.sheet, to: URL(fileURLWithPath: grid))
                print(
                    "drew \(result.labels.count) of \(HumanReadable.count(result.recordsRead, "record")) read into "
                        + "\(grid) (\(result.sheet.width)x\(result.sheet.height))")
                return
            }
            let inspector = ShardInspector(
                dumpCount: dump, histogramKey: histogram, bytesPreview: bytesPreview == 0 ? nil : bytesPreview)
            let report = try inspector.inspect(found.records, quiet: outputOptions.quiet) { line in print(line) }
            print(report.rendered())
        }
    }
}
