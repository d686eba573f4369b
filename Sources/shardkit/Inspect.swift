import ArgumentParser
import Pipeline

/// `shardkit inspect`: counts, schema, a JSON dump and label histograms of shards.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show record counts, the feature schema, records as JSON and label histograms.",
        discussion: """
            PATH is a record file (plain, GZIP or ZLIB: recognised by its first bytes) or a directory,
            whose *.tfrecord* files are all read.

            Examples:
              shardkit inspect out/mnist
              shardkit inspect out/mnist/mnist-train.tfrecord-00000-of-00004 --dump 2
              shardkit inspect out/mnist --histogram label
            """)

    @Argument(help: "Record files or directories of shards.")
    var paths: [String]

    @Option(help: "Print the first N records as JSON (bytes values in base64).")
    var dump: Int = 0

    @Option(help: "With --dump, show at most this many bytes of each bytes value (0: all of them).")
    var bytesPreview: Int = 32

    @Option(help: "Print how often each value of this int64 feature occurs.")
    var histogram: String?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one record file or directory") }
        guard dump >= 0 else { throw ValidationError("--dump must be 0 or more") }
        guard bytesPreview >= 0 else { throw ValidationError("--bytes-preview must be 0 or more") }
    }

    func run() throws {
        try reportingErrors {
            let found = try ShardFiles.resolve(paths)
            guard !found.records.isEmpty else {
                throw PipelineError(.noInput, path: paths.joined(separator: " "), "no record files found")
            }
            let inspector = ShardInspector(
                dumpCount: dump, histogramKey: histogram, bytesPreview: bytesPreview == 0 ? nil : bytesPreview)
            let report = try inspector.inspect(found.records, quiet: outputOptions.quiet) { line in print(line) }
            print(report.rendered())
        }
    }
}
