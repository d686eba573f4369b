import ArgumentParser
import Pipeline
import Shards

/// `shardkit verify`: checks every checksum of every record, and shards against their manifest.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every record's checksums, and each shard's count and SHA-256 against manifest.json.",
        discussion: """
            In a dataset directory it also checks each index file against its shard's framing, and \
            reports a missing manifest.json, files the manifest does not list, and staging folders \
            left by interrupted runs. Each problem is one line: `file: record N at byte OFFSET: what \
            failed`. Exit status 0 when everything checks out, 1 when anything is bad, 66 when there \
            is nothing to verify (no record file and no manifest.json, as in a folder that holds \
            only the staging folder of a run killed before it wrote anything else).

            Examples:
              shardkit verify out/mnist
              shardkit verify --skip-corrupt damaged.tfrecord
            """)

    @Argument(help: "Record files or directories of shards.")
    var paths: [String]

    @Flag(help: "Continue past a record whose payload checksum fails but whose length checksum holds, and count it.")
    var skipCorrupt = false

    @Flag(help: "Check the records of a directory without manifest.json instead of reporting it.")
    var noManifest = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one record file or directory") }
    }

    func run() throws {
        var clean = true
        try reportingErrors {
            let found = try ShardFiles.resolve(paths)
            if found.isEmpty {
                // A folder that holds only a killed run's staging is no dataset: 66 like an empty
                // one, but saying what is there (the next run into it removes it).
                let staging = ShardVerifier.stagingFolders(in: found)
                let only = staging.isEmpty
                    ? "" : ", only the staging of a run that did not finish (\(staging.joined(separator: ", ")))"
                throw DatasetError(
                    .noInput, path: paths.joined(separator: ", "),
                    "nothing to verify: no TFRecord files and no manifest.json" + only)
            }
            let report = ShardVerifier(skipCorrupt: skipCorrupt, requireManifest: !noManifest)
                .verify(found, quiet: outputOptions.quiet)
            for line in report.problemLines() { print(line) }
            print(report.summary())
            clean = report.isClean
        }
        if !clean { throw ExitCode(ExitStatus.verificationFailed.rawValue) }
    }
}
