import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Shards

/// `shardkit inspect`: counts, schema, a JSON dump and label histograms of shards.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show record counts, the feature schema, records as JSON and label histograms.",
        discussion: """
            PATH is a record file (plain, GZIP or ZLIB: recognised by its first bytes) or a directory,
            whose *.tfrecord* files are all read.

            --grid draws each record's `image` (PNG, JPEG, or raw bytes shaped by the manifest's \
            image entry or by their size) with its label under it: the digits of a digit string, the \
            class name (from label.labels.txt) or number, or the HWDB character (#index when the \
            built-in font has no glyph for it).

            Examples:
              shardkit inspect out/mnist
              shardkit inspect out/mnist/mnist-train.tfrecord-00000-of-00004 --dump 2
              shardkit inspect out/mnist --histogram label
              shardkit inspect out/synth --grid sheet.png --count 64 --random --seed 3
            """)

    @Argument(help: "Record files or directories of shards.")
    var paths: [String]

    @Option(help: "Print the first N records as JSON (bytes values in base64).")
    var dump: Int = 0

    @Option(help: "With --dump, show at most this many bytes of each bytes value (0: all of them).")
    var bytesPreview: Int = 32

    @Option(help: "Print how often each value of this int64 feature occurs.")
    var histogram: String?

    @Option(help: "Instead of the report, draw a contact sheet of records with their labels into this PNG file.")
    var grid: String?

    @Option(help: "Records on the --grid sheet.")
    var count: Int = 32

    @Flag(help: "With --grid: a random sample of records (reservoir sampling) instead of the first ones.")
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
                try ContactSheetRenderer.writePNG(result.sheet, to: URL(fileURLWithPath: grid))
                print(
                    "drew \(result.labels.count) of \(result.recordsRead) records read into \(grid) "
                        + "(\(result.sheet.width)x\(result.sheet.height))")
                return
            }
            let inspector = ShardInspector(
                dumpCount: dump, histogramKey: histogram, bytesPreview: bytesPreview == 0 ? nil : bytesPreview)
            let report = try inspector.inspect(found.records, quiet: outputOptions.quiet) { line in print(line) }
            print(report.rendered())
        }
    }
}
