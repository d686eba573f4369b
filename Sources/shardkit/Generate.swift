import ArgumentParser
import Foundation
import Pipeline
import RecordIO
import Shards

/// `shardkit generate`: writes shards of deterministic synthetic digit-string records.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write shards of generated digit-string records (a smoke test for any TFRecord reader).",
        usage: "shardkit generate --output <output> [<options>]",
        discussion: """
            Record i holds `image` (28x140 bytes, byte j = (i + 7j) mod 251), `length` \
            (1 + i mod 5), `digits` (five int64: (i + 3k) mod 10 for k < length, else 10), \
            `weight` (float, i/4) and `id` ("record-000042"). The same arguments always give \
            the same bytes.

            Example:
              shardkit generate --output /tmp/gen --records 1000 --compression gzip
            """)

    @Option(name: .shortAndLong, help: "Directory to write the shards, index files and manifest.json into.")
    var output: String

    @Option(help: "Number of records.")
    var records: Int = 1000

    @Option(help: "Number of shards.")
    var shards: Int = 4

    @Option(help: "Compression of whole shard files, as TensorFlow's compression_type.")
    var compression: Compression = .none

    @Option(help: "Dataset name used in shard file names.")
    var name: String = "generated"

    @OptionGroup var datasetOutput: DatasetOutputOptions

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard records >= 0 else { throw ValidationError("--records must be 0 or more") }
        if let problem = ShardingPolicy.shards(shards).problem { throw ValidationError("--shards: \(problem)") }
    }

    func run() throws {
        HeapPolicy.applyForStreaming()
        try reportingErrors {
            let summary = try SyntheticRecords.write(
                to: URL(fileURLWithPath: output), name: name, records: records, shards: shards,
                compression: compression, quiet: outputOptions.quiet, overwrite: datasetOutput.overwrite)
            print(summary)
        }
    }
}
