import Foundation
import RecordIO

#if canImport(Glibc)
    import Glibc
#endif

extension DatasetWriter {
    /// Puts right what a one-process run killed in its commit left in `output`, before the next
    /// run into it (holding the output's lock) looks at the folder; returns what it did, in words.
    ///
    /// The commit renames the shards and index files from the staging folder into the output,
    /// writes the side files and the manifest last, and only then removes the staging folder. A
    /// `kill -9` in between leaves that staging folder, of a process that has ended, and:
    /// - no manifest: some shards already in the output, which made every later run into it fail
    ///   with "already holds a dataset" (exit 73), `--resume` included. They are moved back into
    ///   the staging folder (the files its receipts name, under their staged names), so the folder
    ///   is once more a killed run's staging, which the next run removes or, with `--resume`,
    ///   takes over; and the output holds no shard of an unfinished dataset;
    /// - the manifest in place and no shard left in the staging folder: the dataset is complete,
    ///   and what is left of the staging folder (receipts, fingerprint) is removed; `verify`
    ///   reports it otherwise.
    /// The staging folders of live processes are left alone.
    static func recoverKilledCommits(in output: URL) -> [String] {
        let fm = FileManager.default
        let manifestInPlace = fm.fileExists(atPath: output.appendingPathComponent(Manifest.fileName).path)
        var notes: [String] = []
        for entry in ((try? fm.contentsOfDirectory(atPath: output.path)) ?? []).sorted()
        where entry.hasPrefix(stagingPrefix) {
            guard let pid = Int32(entry.dropFirst(stagingPrefix.count)), pid != getpid(), processHasEnded(pid) else {
                continue
            }
            let staging = output.appendingPathComponent(entry)
            // A side file or the manifest being written (`writeFileAtomically`'s temporary name).
            for name in ((try? fm.contentsOfDirectory(atPath: output.path)) ?? [])
            where name.hasPrefix(".") && name.hasSuffix(".tmp-\(pid)") {
                removeFileQuietly(joinPath(output.path, name))
                notes.append("removed \(joinPath(output.path, name)), left by a run that ended (process \(pid))")
            }
            let leftInStaging = ((try? fm.contentsOfDirectory(atPath: staging.path)) ?? []).filter(ShardFiles.isRecordFileName)
            if manifestInPlace {
                if leftInStaging.isEmpty && (try? fm.removeItem(at: staging)) != nil {
                    notes.append("removed \(staging.path), left by a run that ended (process \(pid)) after its dataset was complete")
                }
                continue
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
                    "moved \(movedBack) files back into \(staging.path): process \(pid) ended while it moved them into place")
            }
        }
        return notes
    }
}
