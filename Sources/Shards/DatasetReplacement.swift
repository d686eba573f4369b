import Examples
import Foundation
import RecordIO
internal import ShardKitSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a commit with `--overwrite` replaces the dataset already in the output, and how a
/// replacement cut short (an error, a signal, `kill -9`) is undone so that the old dataset comes
/// back byte for byte.
///
/// Until the commit the old dataset is not touched: the new one is written in the run's private
/// staging folder like any other. At the commit, in this order:
/// 1. a journal, `replacing.json` in the staging folder, lists the old dataset's files (see
///    `oldFiles(in:replacing:)`) and the new files that have no old file of their name;
/// 2. the old `manifest.json` is renamed into `STAGING/replaced/` first (from then on the folder
///    claims no complete dataset), then every other old file, each once, by rename;
/// 3. `DatasetWriter` renames the new shards and index files in, writes the side files, and the
///    new `manifest.json` last, each step through `step(_:)`;
/// 4. the journal is removed, then the staging folder with the old files in it.
///
/// `undo()` (an error or a signal in steps 1–3) and `recover(staging:output:)` (the next run into
/// the output, after `kill -9`) put every old file back by rename, over a new file of the same
/// name, remove the new files that had no old one, and put the old manifest back last. A commit
/// whose new manifest is in place is complete and is not undone.
final class DatasetReplacement: Sendable {
    /// What `undo` and `recover` need, written to the staging folder before anything is moved.
    struct Journal: Codable, Equatable {
        /// The old dataset's files, relative to the output, manifest first: each is moved to
        /// the same path below `replaced/`.
        var setAside: [String]
        /// The new dataset's files that had no old file of their name (undoing removes them).
        var added: [String]
        /// Whether the output had no `index/` folder before (undoing removes it again, if empty).
        var madeIndexFolder: Bool
    }

    private struct State {
        var journal: Journal?
        /// The new manifest is in place: nothing is undone any more.
        var committed = false
        /// An interrupt undid the replacement; the committing thread must not take another step.
        var stopped = false
    }

    /// The journal's file name in the staging folder.
    static let journalName = "replacing.json"
    /// The folder in the staging folder where the old files wait until the commit is complete.
    static let asideName = "replaced"
    /// Side files ShardKit writes beside the shards, besides the manifest and `{key}.labels.txt`:
    /// an old one goes even when the new dataset has none (a stale `dataset_info.json` would
    /// contradict the new manifest).
    static let sideFileNames: Set<String> = [
        "dataset_info.json", "features.json", "characters.json", DatasetRepairer.reportFileName,
    ]

    let output: URL
    let staging: URL
    private let durable: Bool
    private let state = Mutex(State())

    init(output: URL, staging: URL, durable: Bool) {
        self.output = output
        self.staging = staging
        self.durable = durable
    }

    private var aside: URL { staging.appendingPathComponent(Self.asideName) }

    /// The files of the dataset in `output` that a dataset writing `newPaths` replaces, relative
    /// to `output`, `manifest.json` first: the manifest, every record and index file (the files
    /// `verify` would call strays of the new dataset), every file the old manifest lists, the
    /// side files ShardKit writes (`sideFileNames`, `{key}.labels.txt` for the old manifest's
    /// features), and any file at one of `newPaths`. Hidden files (the lock, staging folders) and
    /// folders are never part of it; nor is anything else, which the overwrite keeps.
    static func oldFiles(in output: URL, replacing newPaths: [String]) -> [String] {
        let fm = FileManager.default
        let indexFolder = ShardIndex.directoryName
        let top = (try? fm.contentsOfDirectory(atPath: output.path)) ?? []
        let indexed = ((try? fm.contentsOfDirectory(atPath: joinPath(output.path, indexFolder))) ?? [])
            .map { "\(indexFolder)/\($0)" }
        var listed: Set<String> = []
        var labelFiles: Set<String> = []
        if let manifest = try? Manifest.read(from: joinPath(output.path, Manifest.fileName)) {
            for split in manifest.splits.values {
                for shard in split.shards { listed.formUnion([shard.file] + (shard.index.map { [$0] } ?? [])) }
            }
            labelFiles = Set(manifest.features.map { "\($0.key).labels.txt" })
        }
        let replaced = Set(newPaths)
        func belongs(_ path: String) -> Bool {
            let components = path.split(separator: "/")
            guard let name = components.last.map(String.init), !name.hasPrefix("."), !components.contains(".."),
                fm.fileExists(atPath: joinPath(output.path, path)), !isDirectory(joinPath(output.path, path))
            else { return false }
            if replaced.contains(path) || listed.contains(path) { return true }
            if components.count == 2 && components[0] == indexFolder { return ShardFiles.isIndexFileName(name) }
            guard components.count == 1 else { return false }
            return name == Manifest.fileName || ShardFiles.isRecordFileName(name) || ShardFiles.isIndexFileName(name)
                || sideFileNames.contains(name) || labelFiles.contains(name)
        }
        var seen: Set<String> = []
        let found = (top + indexed + listed.sorted()).filter { belongs($0) && seen.insert($0).inserted }
        return found.filter { $0 == Manifest.fileName } + found.filter { $0 != Manifest.fileName }.sorted()
    }

    /// Steps 1 and 2: writes the journal, then sets the old files aside (the manifest first, and
    /// made durable before anything else moves). `newPaths` are the files the commit puts in place.
    func setAside(replacing newPaths: [String], needsIndexFolder: Bool) throws(DatasetError) {
        let old = Self.oldFiles(in: output, replacing: newPaths)
        let existing = Set(old)
        let journal = Journal(
            setAside: old, added: newPaths.filter { !existing.contains($0) },
            madeIndexFolder: needsIndexFolder && !isDirectory(joinPath(output.path, ShardIndex.directoryName)))
        try locked { (state: inout State) throws(DatasetError) in
            do throws(RecordIOError) {
                let bytes = try Shards.canonicalJSON(journal, path: staging.path)
                try writeFileAtomically(bytes, to: joinPath(staging.path, Self.journalName), durable: durable)
            } catch {
                throw DatasetError(.output, path: error.path, error.reason, underlying: error)
            }
            try createDirectory(aside.appendingPathComponent(ShardIndex.directoryName))
            state.journal = journal
        }
        for (i, path) in old.enumerated() {
            try step { () throws(DatasetError) in
                guard rename(joinPath(output.path, path), joinPath(aside.path, path)) == 0 else {
                    throw DatasetError(
                        .output, path: joinPath(output.path, path),
                        "cannot set the old dataset's file aside: \(String(cString: strerror(errno)))")
                }
            }
            // The old manifest is gone for good before any new file arrives.
            if i == 0 && durable { syncDirectory(output.path) }
        }
        if durable {
            syncDirectory(output.path)
            syncDirectory(joinPath(output.path, ShardIndex.directoryName))
        }
    }

    /// Runs one step of the commit, never at the same time as `undo` (which a signal runs on
    /// another thread). After an interrupt undid the replacement, the committing thread takes no
    /// further step: it waits here for the process to exit.
    func step(_ body: () throws(DatasetError) -> Void) throws(DatasetError) {
        try locked { (_: inout State) throws(DatasetError) in try body() }
    }

    /// Step 3's last act: writes the new manifest with `write` and marks the replacement complete,
    /// as one step (an interrupt comes before it, and is undone, or after it, and is not).
    func commit(_ write: () throws(DatasetError) -> Void) throws(DatasetError) {
        try locked { (state: inout State) throws(DatasetError) in
            try write()
            state.committed = true
        }
    }

    /// `body` under the lock, unless an interrupt stopped the replacement: then, and when `body`
    /// fails because the interrupt's undo pulled files from under it, this thread waits for the
    /// exit the signal handler is making (no error of its own may race that exit).
    private func locked(_ body: (inout State) throws(DatasetError) -> Void) throws(DatasetError) {
        let failure: DatasetError? = state.withLock { state in
            if state.stopped { return DatasetError(.output, path: output.path, "interrupted") }
            do throws(DatasetError) { try body(&state) } catch { return error }
            return nil
        }
        guard let failure else { return }
        if state.withLock({ $0.stopped }) {
            while true { pause() }
        }
        throw failure
    }

    /// After the new manifest is in place: the staging folder (old files and all) goes, and the
    /// `index/` folder when the new dataset has no index files.
    func finish() {
        // The journal first (see `recover`): then the old files, in whatever order removal takes.
        unlink(joinPath(staging.path, Self.journalName))
        if durable { syncDirectory(staging.path) }
        try? FileManager.default.removeItem(at: staging)
        rmdir(joinPath(output.path, ShardIndex.directoryName))
        if durable { syncDirectory(output.path) }
    }

    /// Undoes an unfinished replacement (nothing, once committed or before the journal); stops the
    /// commit for good. Returns the paths of new files it removed. Called on an error and by the
    /// interrupt handler; the staging folder itself is the caller's to remove.
    func undo() -> [String] {
        state.withLock { state in
            state.stopped = true
            guard !state.committed, let journal = state.journal else { return [] }
            return Self.undo(journal, output: output, aside: aside, writer: getpid())
        }
    }

    /// Puts the old files back (over new files of their names), removes new files that had no
    /// old one (and the temporary files process `writer` was writing), and the old manifest back last.
    /// Each step is a rename or an unlink that may already be done: undoing twice is harmless.
    private static func undo(_ journal: Journal, output: URL, aside: URL, writer: Int32) -> [String] {
        var removed: [String] = []
        for path in journal.setAside where path != Manifest.fileName {
            let from = joinPath(aside.path, path)
            guard FileManager.default.fileExists(atPath: from) else { continue }
            let to = joinPath(output.path, path)
            let parent = (to as NSString).deletingLastPathComponent
            if !isDirectory(parent) { mkdir(parent, 0o755) }
            rename(from, to)
        }
        for path in journal.added where unlink(joinPath(output.path, path)) == 0 {
            removed.append(joinPath(output.path, path))
        }
        // A side file or manifest the writer was writing when it stopped (`writeFileAtomically`).
        for path in journal.setAside + journal.added {
            let target = joinPath(output.path, path)
            let name = (path as NSString).lastPathComponent
            unlink(joinPath((target as NSString).deletingLastPathComponent, ".\(name).tmp-\(writer)"))
        }
        let indexFolder = joinPath(output.path, ShardIndex.directoryName)
        if journal.madeIndexFolder && rmdir(indexFolder) == 0 { removed.append(indexFolder) }
        rename(joinPath(aside.path, Manifest.fileName), joinPath(output.path, Manifest.fileName))
        syncDirectory(indexFolder)
        syncDirectory(output.path)
        return removed
    }

    /// The next run's part, for the staging folder `staging` of a run that ended (killed) while
    /// replacing the dataset in `output`: when its new manifest was not yet in place, the old
    /// dataset is restored. Either way the journal and the set-aside files go. Returns what it
    /// did, in words; nil when `staging` holds no replacement (no journal); an `.output` error,
    /// touching nothing more, when an old file cannot be put back. The rest of the
    /// staging folder is the caller's to remove (or, with `--resume`, to take over).
    static func recover(staging: URL, output: URL) throws(DatasetError) -> String? {
        guard let pid = Int32(staging.lastPathComponent.dropFirst(DatasetWriter.stagingPrefix.count)),
            let data = FileManager.default.contents(atPath: joinPath(staging.path, journalName)),
            let journal = try? JSONDecoder().decode(Journal.self, from: data)
        else { return nil }
        let aside = staging.appendingPathComponent(asideName)
        let newManifestInPlace =
            FileManager.default.fileExists(atPath: joinPath(output.path, Manifest.fileName))
            && (!journal.setAside.contains(Manifest.fileName)
                || FileManager.default.fileExists(atPath: joinPath(aside.path, Manifest.fileName)))
        if !newManifestInPlace {
            _ = undo(journal, output: output, aside: aside, writer: pid)
            if let stuck = journal.setAside.first(where: {
                FileManager.default.fileExists(atPath: joinPath(aside.path, $0))
            }) {
                throw DatasetError(
                    .output, path: joinPath(aside.path, stuck),
                    "cannot put this file of the dataset that process \(pid) was replacing back into \(output.path) "
                        + "(\(String(cString: strerror(errno)))); nothing was removed: move the files below \(aside.path) back by hand"
                )
            }
        }
        // Settled either way. The journal goes before the set-aside files: with some of those gone
        // (the old manifest among them) a journal would no longer tell a complete replacement.
        unlink(joinPath(staging.path, journalName))
        syncDirectory(staging.path)
        try? FileManager.default.removeItem(at: aside)
        if newManifestInPlace {
            return
                "the replacement by process \(pid) was complete (its manifest is in place); removed the old files it set aside"
        }
        return journal.setAside.isEmpty
            ? "undid the unfinished replacement by process \(pid) (there was no dataset before it)"
            : "restored the dataset that process \(pid) was replacing when it ended (\(journal.setAside.count) files)"
    }
}
