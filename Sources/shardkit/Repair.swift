import ArgumentParser
import Foundation
import RecordIO
import ShardKitSupport
import Shards

/// `shardkit repair SRC --output DST`: a clean copy of a damaged dataset, and a report.
struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a clean copy of a damaged dataset without the records that fail their checksums.",
        usage: "shardkit repair <source> --output <output> [<options>]",
        discussion: """
            Reads every shard of SOURCE (as its manifest.json lists them, else as they are named) \
            and writes the records whose checksums hold, in order, to OUTPUT: the same dataset \
            name, splits, compression and shard count, fresh index files, SOURCE's side files, \
            dataset_info.json with the new counts, a manifest, and repair-report.json naming every \
            dropped record (file, record, byte offset, reason). A record whose payload checksum \
            fails is dropped; after a damaged length the next good record is found by scanning \
            (formats/tfrecord.md); a truncated tail or a damaged compressed stream is dropped to \
            the end of the shard. SOURCE is never written to.

            The surviving records are renumbered and spread over the shards by the count \
            rule (as --shards N spreads them), so a clean SOURCE written with --shards N comes \
            out byte-identical.

            Exit status 0 when nothing was dropped, 1 when records were dropped and the clean copy was written, 64 when OUTPUT \
            is SOURCE or inside it, 66 when SOURCE is missing or holds no shards, 73 when OUTPUT \
            holds a dataset (without --overwrite), 74 when OUTPUT cannot be written.

            Example:
              shardkit repair out/mnist --output out/mnist-repaired
            """)

    @Argument(help: "The dataset folder to repair (read only).")
    var source: String

    @Option(name: .shortAndLong, help: "A new folder for the clean copy (not inside the source).")
    var output: String

    @Flag(help: "List every dropped record on standard error, not just the first \(Self.listedByDefault).")
    var verbose = false

    @Option(
        help:
            "After a damaged length, how many bytes to scan for the next good record before dropping the rest of the shard."
    )
    var resyncLimit: Int64 = RecordSalvager.Options().maxResyncScan

    @OptionGroup var datasetOutput: DatasetOutputOptions

    @OptionGroup var outputOptions: OutputOptions

    /// Dropped records listed on standard error without `--verbose`.
    static let listedByDefault = 10

    func validate() throws {
        guard resyncLimit >= 0 else { throw ValidationError("--resync-limit must be 0 or more") }
    }

    func run() throws {
        var clean = true
        try reportingErrors {
            var salvage = RecordSalvager.Options()
            salvage.maxResyncScan = resyncLimit
            var options = DatasetRepairer.Options(
                source: URL(fileURLWithPath: source), output: URL(fileURLWithPath: output),
                quiet: outputOptions.quiet, salvage: salvage)
            options.overwrite = datasetOutput.overwrite
            let report = try DatasetRepairer.repair(options)
            var lines = report.notes.map { "shardkit: note: \($0)" }
            let listed = verbose ? report.dropped : Array(report.dropped.prefix(Self.listedByDefault))
            lines += listed.map { "shardkit: dropped: \($0.line(source: source))" }
            if listed.count < report.dropped.count {
                lines.append(
                    "shardkit: … and \(report.dropped.count - listed.count) more dropped (--verbose lists them; all are in "
                        + "\(output)/\(DatasetRepairer.reportFileName))")
            }
            if !lines.isEmpty { FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8)) }
            let total = report.recordsKept + report.recordsDropped
            print(
                "repaired \(source) into \(output): kept \(report.recordsKept) of \(HumanReadable.count(total, "record")), "
                    + "dropped \(report.recordsDropped)"
                    + (report.isClean ? "" : " (see \(output)/\(DatasetRepairer.reportFileName))"))
            for split in report.splits {
                print(
                    "  \(split.name): \(HumanReadable.count(split.records, "record")) in "
                        + "\(HumanReadable.count(split.shards, "shard")), \(split.dropped) dropped")
            }
            clean = report.isClean
        }
        if !clean { throw ExitCode(ExitStatus.verificationFailed.rawValue) }
    }
}
