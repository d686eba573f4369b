import ArgumentParser
import Pipeline
import Shards

/// `shardkit verify`: checks every checksum of every record, and shards against their manifest.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every record's checksums, and each shard's count and SHA-256 against manifest.json.",
        discussion: """
            Each bad record is reported as `file: record N at byte OFFSET: what failed`. Exit status 0
            when everything checks out, 1 when anything is bad.

            Examples:
              shardkit verify out/mnist
              shardkit verify --skip-corrupt damaged.tfrecord
            """)

    @Argument(help: "Record files or directories of shards.")
    var paths: [String]

    @Flag(help: "Continue past a record whose payload checksum fails but whose length checksum holds, and count it.")
    var skipCorrupt = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one record file or directory") }
    }

    func run() throws {
        var clean = true
        try reportingErrors {
            let found = try ShardFiles.resolve(paths)
            let report = ShardVerifier(skipCorrupt: skipCorrupt).verify(found, quiet: outputOptions.quiet)
            for line in report.problemLines() { print(line) }
            print(report.summary())
            clean = report.isClean
        }
        if !clean { throw ExitCode(ExitStatus.verificationFailed.rawValue) }
    }
}
