import Formats
import Foundation
import RecordIO
internal import ShardKitSupport
import Shards

/// Where a dataset's files were found: a folder on disk, or a folder inside an archive.
struct InputPlace {
    enum Storage {
        case folder(URL)
        /// Entries whose names start with `prefix` ("" for the archive's top, else ending in "/").
        case archive(ArchiveFile, prefix: String)
    }

    let storage: Storage
    let digests: InputDigests

    /// The archive the files are in, if any.
    var archive: ArchiveFile? {
        if case .archive(let archive, _) = storage { return archive }
        return nil
    }

    /// For messages: `/data/cifar-10-batches-bin` or `/data/cifar-10-binary.tar.gz/cifar-10-batches-bin`.
    var path: String {
        switch storage {
        case .folder(let url): return url.path
        case .archive(let archive, let prefix):
            return prefix.isEmpty ? archive.path : archive.path + "/" + prefix.dropLast()
        }
    }

    /// The file `name` directly in this place, if it is there.
    func file(_ name: String) -> InputFile? {
        switch storage {
        case .folder(let url):
            let file = url.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { return nil }
            return InputFile(disk: file, digests: digests)
        case .archive(let archive, let prefix):
            return archive.entry(prefix + name).map { InputFile(entry: $0, of: archive) }
        }
    }

    /// The archive entry `name` directly in this place (nil on disk or when it is not there).
    func entry(_ name: String) -> ArchiveEntry? {
        guard case .archive(let archive, let prefix) = storage else { return nil }
        return archive.entry(prefix + name)
    }

    /// The files directly in this place whose names `matches` accepts, sorted bytewise by name
    /// (the order a conversion reads them in, whatever the listing or archive order).
    func files(_ matches: (String) -> Bool) -> [InputFile] {
        switch storage {
        case .folder(let url):
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return names.filter(matches).sorted(by: bytewise).compactMap { file($0) }
        case .archive(let archive, let prefix):
            return archive.entries.filter {
                $0.name.hasPrefix(prefix) && !$0.name.dropFirst(prefix.count).contains("/")
                    && matches(String($0.name.dropFirst(prefix.count)))
            }.sorted { bytewise($0.name, $1.name) }.map { InputFile(entry: $0, of: archive) }
        }
    }
}

/// Byte order of UTF-8 strings (the order `ls` shows under `LC_ALL=C`).
func bytewise(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

/// The one helper the formats' input resolvers share: `--input` may be the archive the authors
/// ship, the folder it unpacks to, or the folder above that. It opens archives (once each),
/// refuses ALZip with the command that unpacks it, and remembers everything it looked for, so a
/// refusal can list it.
final class InputSearch {
    /// `--input`, standardized.
    let input: URL
    /// The digests of every file the conversion reads (archives are hashed as they are listed).
    let digests = InputDigests()
    /// What was looked for, in order, for the refusal message.
    private(set) var lookedFor: [String] = []
    private var archives: [String: ArchiveFile] = [:]
    /// Archives' names whose published checksum was already checked (at plan time).
    private var checked: Set<String> = []

    init(_ input: URL) {
        self.input = input.standardizedFileURL
    }

    /// Whether `--input` is a folder.
    var inputIsFolder: Bool { isFolder(input) }

    func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    func isFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Adds a line to what the refusal lists.
    func note(_ what: String) { lookedFor.append(what) }

    /// A folder place on disk.
    func folder(_ url: URL) -> InputPlace { InputPlace(storage: .folder(url), digests: digests) }

    /// The archive at `url` when the file is one (by its first bytes: tar, gzip, bzip2, xz, zip),
    /// listed once and kept; nil for any other file. ALZip, or a zip holding an `.alz`, is refused
    /// with the command that unpacks it. `keep` selects small entries to keep in memory.
    func archive(_ url: URL, keep: @escaping (ArchiveEntry) -> Bool = { _ in false }) throws(DatasetError)
        -> ArchiveFile?
    {
        let path = url.standardizedFileURL.path
        if let known = archives[path] { return known }
        switch ArchiveFile.kind(of: ArchiveFile.leadingBytes(ofFileAt: path)) {
        case .alz?:
            throw alzRefusal(alz: url, inside: nil)
        case nil:
            return nil
        default:
            break
        }
        let archive = try reading { () throws(FormatError) in try ArchiveFile(path: path, digests: digests, keep: keep)
        }
        if let alz = archive.entries.first(where: { $0.name.lowercased().hasSuffix(".alz") }) {
            throw alzRefusal(alz: URL(fileURLWithPath: alz.name), inside: url)
        }
        archives[path] = archive
        return archive
    }

    /// A place inside `archive`: below `folder/` when the archive has that folder, else its top
    /// when `holds` accepts it.
    func place(in archive: ArchiveFile, folder: String?, holds: (InputPlace) -> Bool) -> InputPlace? {
        var prefixes = [""]
        if let folder { prefixes.insert(folder + "/", at: 0) }
        for prefix in prefixes {
            let candidate = InputPlace(storage: .archive(archive, prefix: prefix), digests: digests)
            if holds(candidate) { return candidate }
        }
        return nil
    }

    /// The usual three forms of one set of files (a dataset, or one split of it):
    /// 1. `--input` is an archive holding `folder/` (or the files at its top);
    /// 2. `--input` is the folder holding the files (when `inputMayBeTheFolder`);
    /// 3. `--input` holds `folder/`, or one of `archives` (checked in this order).
    /// `what` describes the files for the refusal; `holds` checks a candidate place.
    func find(
        folder name: String, archives archiveNames: [String], inputMayBeTheFolder: Bool, what: String,
        keep: @escaping (ArchiveEntry) -> Bool = { _ in false }, holds: (InputPlace) -> Bool
    ) throws(DatasetError) -> InputPlace? {
        if isFile(input) {
            note("\(input.path): an archive holding \(name)/ (\(what))")
            guard let archive = try archive(input, keep: keep) else { return nil }
            return place(in: archive, folder: name, holds: holds)
        }
        guard inputIsFolder else { return nil }
        if inputMayBeTheFolder {
            note("\(what) in \(input.path)")
            let here = folder(input)
            if holds(here) { return here }
        }
        let subfolder = input.appendingPathComponent(name)
        note("\(subfolder.path)/ holding \(what)")
        if isFolder(subfolder) {
            let there = folder(subfolder)
            if holds(there) { return there }
        }
        for archiveName in archiveNames {
            let url = input.appendingPathComponent(archiveName)
            note(url.path)
            guard isFile(url), let archive = try archive(url, keep: keep) else { continue }
            if let place = place(in: archive, folder: name, holds: holds) { return place }
        }
        return nil
    }

    /// The refusal when nothing was found: `--input` and everything looked for (exit 66).
    /// `forms` says what `--input` may be.
    func refusal(
        _ summary: String, forms: String = "the archive as shipped, the folder it unpacks to, or the folder above"
    ) -> DatasetError {
        var seen = Set<String>()
        let items = lookedFor.filter { seen.insert($0).inserted }
        return DatasetError(
            .noInput, path: input.path,
            "\(summary); looked for: " + items.joined(separator: "; ") + " (--input takes \(forms))")
    }

    /// The refusal of an ALZip archive (libarchive cannot read it), with the commands that
    /// unpack it with Debian's `unalz` and the `--input` to give then. Exit 66: nothing is wrong
    /// with the data, but no readable copy of it is there yet.
    func alzRefusal(alz: URL, inside zip: URL?) -> DatasetError {
        let folderName = alz.deletingPathExtension().lastPathComponent
        let place = (zip ?? alz).deletingLastPathComponent()
        let target = place.appendingPathComponent(folderName)
        let alzOnDisk = place.appendingPathComponent(alz.lastPathComponent)
        var commands = ""
        if let zip {
            commands =
                "unzip -o \(shellQuoted(zip.path)) \(shellQuoted(alz.lastPathComponent)) "
                + "-d \(shellQuoted(place.path)) && "
        }
        commands += "unalz -d \(shellQuoted(target.path)) \(shellQuoted(alzOnDisk.path))"
        let what =
            zip.map { "\($0.lastPathComponent) holds \(alz.lastPathComponent), an ALZip archive" } ?? "an ALZip archive"
        return DatasetError(
            .noInput, path: (zip ?? alz).path,
            "\(what), which shardkit (libarchive) cannot read; unpack it with Debian's unalz "
                + "(apt-get install unalz): \(commands) ; then convert with --input \(shellQuoted(target.path))")
    }

    // MARK: Fingerprints

    /// Checks the published checksums of the archives listed so far, whose hashes are complete
    /// without another read; `strict` makes a mismatch an error, else it is a warning (unless
    /// `quiet`). Run at plan time, so a bad download fails before any record is converted.
    func checkListedArchives(strict: Bool, quiet: Bool) throws(DatasetError) {
        let done = try reading { () throws(FormatError) in
            try digests.finish(Array(archives.keys), onlyIfUnreadBelow: 1 << 20)
        }
        for digest in done.values.sorted(by: { $0.path < $1.path }) {
            try check(digest, strict: strict, quiet: quiet)
        }
    }

    /// The manifest metadata for the input files: `input sha256: NAME` per file (NAME relative
    /// to `--input`; the PNGs of an SVHN folder as one line per folder, `train/*.png`, the SHA-256
    /// of their `sha256sum` listing), and `input check: NAME` for files with a published checksum.
    /// Finishes the hashes (reading what the conversion did not read in order) and checks them.
    func metadata(strict: Bool, quiet: Bool, pngFolders: [URL] = []) throws(DatasetError) -> [String: String] {
        let all = try reading { () throws(FormatError) in try digests.finish() }
        var metadata: [String: String] = [:]
        for digest in all.values.sorted(by: { bytewise($0.path, $1.path) }) {
            let name = relativeName(digest.path)
            metadata["input sha256: \(name)"] = digest.sha256
            if let verdict = try check(digest, strict: strict, quiet: quiet) {
                metadata["input check: \(name)"] = verdict
            }
        }
        // A PNG folder's listing is hashed file by file as it is made: only the sorted names
        // are held (a few dozen bytes each), no digest per file and no listing text.
        for folder in pngFolders.map(\.standardizedFileURL) {
            let listed = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            let names = listed.filter { $0.lowercased().hasSuffix(".png") }.sorted(by: bytewise)
            guard !names.isEmpty else { continue }
            let group = relativeName(folder.path)
            metadata["input sha256: \(group.isEmpty ? "*.png" : group + "/*.png")"] = try reading {
                () throws(FormatError) in try InputDigests.listingSHA256(folder: folder.path, names: names)
            }
        }
        return metadata
    }

    /// `path` relative to `--input` (its own name when `--input` is the file).
    func relativeName(_ path: String) -> String {
        let root = input.path
        if path == root { return input.lastPathComponent }
        if path.hasPrefix(root + "/") { return String(path.dropFirst(root.count + 1)) }
        return URL(fileURLWithPath: path).lastPathComponent
    }

    /// Compares `digest` with the published checksum of a file of that name, once per file:
    /// nil when none is published, else the verdict for the manifest. A mismatch is a warning
    /// naming the file (standard error, unless `quiet`), or with `strict` an error (exit 65).
    @discardableResult
    private func check(_ digest: InputDigests.Digest, strict: Bool, quiet: Bool) throws(DatasetError) -> String? {
        let name = URL(fileURLWithPath: digest.path).lastPathComponent
        guard let candidates = PublishedChecksum.known[name] else { return nil }
        if let match = candidates.first(where: { $0.matches(sha256: digest.sha256, size: digest.size) }) {
            checked.insert(digest.path)
            return "matches \(match.dataset)'s published SHA-256 (\(match.source))"
        }
        let published = candidates.map { candidate in
            "\(candidate.dataset) \(candidate.sha256)" + (candidate.size.map { " (\($0) bytes)" } ?? "")
        }.joined(separator: ", ")
        let sources = Set(candidates.map(\.source)).sorted().joined(separator: ", ")
        let verdict = "differs from the published SHA-256 (\(published); \(sources))"
        guard checked.insert(digest.path).inserted else { return verdict }
        let message =
            "SHA-256 \(digest.sha256) (\(digest.size) bytes) is not the published one (\(published); \(sources)): "
            + "a modified or partial download?"
        if strict {
            throw DatasetError(.badInput, path: digest.path, message + " (--strict-inputs)")
        }
        if !quiet {
            FileHandle.standardError.write(
                Data("shardkit: warning: \(digest.path): \(message) (--strict-inputs makes this an error)\n".utf8))
        }
        return verdict
    }
}

/// `text` for a shell command line: as it is when it needs no quoting, else in single quotes.
func shellQuoted(_ text: String) -> String {
    let plain = text.unicodeScalars.allSatisfy {
        CharacterSet.alphanumerics.contains($0) || "/._-+:@%,=".unicodeScalars.contains($0)
    }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
