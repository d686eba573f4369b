import Foundation
import RecordIO

#if canImport(Glibc)
    import Glibc
#endif

extension DatasetWriter {
    /// Puts right what a one-process run killed in its commit (without `--overwrite`, so without
    /// a journal: `DatasetReplacement` undoes those) left in the output beside `staging`, its
    /// staging folder, before the next run into the output looks at it; returns what it did, in
    /// words. `process` is the ended run's.
    ///
    /// That commit renames the shards and index files from the staging folder into the output,
    /// writes the side files and the manifest last (each through a temporary `.NAME.tmp-<pid>`),
    /// and only then removes the staging folder. A `kill -9` in between leaves:
    /// - no manifest: some shards already in the output, which made every later run into it fail
    ///   with "already holds a dataset" (exit 73), `--resume` included. They are moved back into
    ///   the staging folder (the files its receipts name, under their staged names), so the folder
    ///   is once more a killed run's staging, which the caller removes or `--resume` takes over,
    ///   and the output holds no shard of an unfinished dataset. A side file or manifest being
    ///   written is a temporary file of `process`, removed;
    /// - the manifest in place and no shard left in the staging folder: the dataset is complete,
    ///   and what is left of the staging folder (receipts, fingerprint) is removed, so that
    ///   `verify` passes again also when the next run is a `--resume` (refused: the output holds
    ///   a dataset).
    static func recoverKilledCommit(staging: URL, process pid: Int32) -> [String] {
        let fm = FileManager.default
        let output = staging.deletingLastPathComponent()
        let leftInStaging = ((try? fm.contentsOfDirectory(atPath: staging.path)) ?? []).filter(
            ShardFiles.isRecordFileName)
        if fm.fileExists(atPath: output.appendingPathComponent(Manifest.fileName).path) {
            guard leftInStaging.isEmpty, (try? fm.removeItem(at: staging)) != nil else { return [] }
            return ["removed \(staging.path), left by a run that ended (process \(pid)) after its dataset was complete"]
        }
        var notes: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: output.path)) ?? []).sorted()
        where name.hasPrefix(".") && name.hasSuffix(".tmp-\(pid)") {
            removeFileQuietly(joinPath(output.path, name))
            notes.append("removed \(joinPath(output.path, name)), left by a run that ended (process \(pid))")
        }
        // The receipts are not moved by the commit: they name every shard it may have moved.
        let receipts = staging.appendingPathComponent("receipts").path
        var movedBack = 0
        for name in ((try? fm.contentsOfDirectory(atPath: receipts)) ?? []).sorted()
        where name.hasSuffix(".receipt.json") {
            guard let data = fm.contents(atPath: joinPath(receipts, name)),
                let receipt = try? JSONDecoder().decode(ShardReceipt.self, from: data)
            else { continue }
            let stagedAs = receipt.stagedAs ?? receipt.entry.file
            var moves = [(receipt.entry.file, stagedAs)]
            if let index = receipt.entry.index { moves.append((index, ShardIndex.relativePath(forShard: stagedAs))) }
            for (placed, staged) in moves {
                let (from, to) = (joinPath(output.path, placed), joinPath(staging.path, staged))
                if fm.fileExists(atPath: from) && !fm.fileExists(atPath: to) && rename(from, to) == 0 { movedBack += 1 }
            }
        }
        if movedBack > 0 {
            // The commit may have made index/; it goes again when empty.
            rmdir(output.appendingPathComponent(ShardIndex.directoryName).path)
            notes.append(
                "moved \(movedBack) files back into \(staging.path): process \(pid) ended while it moved them into place"
            )
        }
        return notes
    }
}
