import Formats
import Foundation
import TestSupport
import Testing

/// What the fuzz harnesses fuzz-archive and fuzz-folder found in the readers (Fuzz/README.md).
/// The archive tests fail on the code before its fixes; the inputs the fuzzer saved are in
/// Fuzz/regressions/, which `make test` runs through the harnesses under ASan. The folder
/// listing's over-read gave right names all the same: only ASan sees it, in fuzz-folder, which
/// lists a folder like this test's once per run (`make test` included).
@Suite struct FuzzFindingsTests {
    let scratch: Scratch

    init() throws { scratch = try Scratch() }

    /// A ustar archive of regular files; `claimedSize` replaces a member's size in its header
    /// (the data stay as given).
    static func tar(_ members: [(name: String, data: [UInt8], claimedSize: Int?)]) -> [UInt8] {
        var archive: [UInt8] = []
        for member in members {
            var header = [UInt8](repeating: 0, count: 512)
            func field(_ offset: Int, _ text: String) {
                header.replaceSubrange(offset..<(offset + text.utf8.count), with: text.utf8)
            }
            func octal(_ offset: Int, _ width: Int, _ value: Int) {
                let digits = String(value, radix: 8)
                field(offset, String(repeating: "0", count: width - 1 - digits.count) + digits)
            }
            field(0, member.name)
            octal(100, 8, 0o644)
            octal(108, 8, 0)
            octal(116, 8, 0)
            octal(124, 12, member.claimedSize ?? member.data.count)
            octal(136, 12, 0)
            field(156, "0")
            field(257, "ustar\0")
            field(263, "00")
            header.replaceSubrange(148..<156, with: repeatElement(UInt8(ascii: " "), count: 8))
            octal(148, 7, header.reduce(0) { $0 + Int($1) })
            archive += header + member.data + [UInt8](repeating: 0, count: (512 - member.data.count % 512) % 512)
        }
        return archive + [UInt8](repeating: 0, count: 1024)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try writeBytes(bytes, to: scratch.file(name))
        return scratch.file(name)
    }

    /// The peak resident memory of this process so far, in bytes.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// fuzz-archive: a header claiming gigabytes made `readToEnd` allocate (and zero) them before
    /// reading a byte; a kept entry (as convert keeps digitStruct.mat) now fails on the bytes that
    /// are there, having reserved at most 1 MiB.
    @Test func anEntryClaimingAGigabyteIsCutOffWithoutReservingIt() throws {
        let path = try write(
            "claims.tar", Self.tar([("d/digitStruct.mat", Array("ten bytes!".utf8), claimedSize: 1 << 30)]))
        let before = Self.peakResidentBytes()
        let error = formatError { _ = try ArchiveFile(path: path, keep: { _ in true }) }
        #expect(error?.kind == .truncated, "\(String(describing: error))")
        #expect(error?.path == path + "/d/digitStruct.mat")
        #expect(Self.peakResidentBytes() - before < 256 << 20)
    }

    /// The zip the fuzzer found: a local header announcing 4,245,978,302 bytes in a 1.6 KiB file.
    @Test func theFuzzedZipClaimingFourGigabytesIsAnErrorNamingIt() throws {
        let path = FixturePaths.repositoryRoot.appendingPathComponent(
            "Fuzz/regressions/fuzz-archive/zip-entry-claims-4GiB.zip"
        ).path
        let before = Self.peakResidentBytes()
        let error = formatError {
            let archive = try ArchiveFile(path: path, keep: { _ in true })
            for entry in archive.entries { _ = try InputFile(entry: entry, of: archive).contents() }
        }
        #expect(error != nil)
        #expect(error?.path.hasPrefix(path) == true, "\(String(describing: error))")
        #expect(Self.peakResidentBytes() - before < 256 << 20)
    }

    /// fuzz-archive: kept data were filed by name, so of two entries with one name (a tar
    /// appended to, the fuzzed zip) both handed out the data of the last one kept.
    @Test func twoEntriesOfOneNameEachGiveTheirOwnKeptData() throws {
        let path = try write(
            "twice.tar",
            Self.tar([
                ("b/batches.meta.txt", Array("first\n".utf8), nil), ("b/batches.meta.txt", Array("second\n".utf8), nil),
            ]))
        let archive = try ArchiveFile(path: path, keep: { _ in true })
        #expect(archive.entries.count == 2)
        let contents = try archive.entries.map { try InputFile(entry: $0, of: archive).contents() }
        #expect(contents == [Array("first\n".utf8), Array("second\n".utf8)])
        // Read again, once the kept copies are handed out: from the archive, the same bytes.
        #expect(try InputFile(entry: archive.entries[0], of: archive).contents() == Array("first\n".utf8))
    }

    /// The fuzzed zip whose entries share a name: each entry's contents are its own size.
    @Test func theFuzzedZipWithEntriesOfOneNameReadsEachEntryWhole() throws {
        let path = FixturePaths.repositoryRoot.appendingPathComponent(
            "Fuzz/regressions/fuzz-archive/zip-two-entries-one-name.zip"
        ).path
        let archive = try ArchiveFile(path: path, keep: { $0.ordinal % 2 == 0 })
        #expect(Set(archive.entries.map(\.name)).count < archive.entries.count, "no two entries share a name")
        for entry in archive.entries {
            let error = formatError {
                let bytes = try InputFile(entry: entry, of: archive).contents()
                #expect(entry.size == nil || bytes.count == entry.size)
            }
            #expect(error == nil || error?.path.hasPrefix(path) == true)
        }
    }

    /// fuzz-folder (under ASan): listing copied each entry's whole 256-byte name field, past the
    /// end of the last record in readdir's buffer. A class folder of more names than one buffer
    /// holds, of every length up to 255 bytes, lists every name exactly.
    @Test func aFolderOfMoreNamesThanOneDirectoryBufferListsEachName() throws {
        let classFolder = scratch.url.appendingPathComponent("wide/c")
        try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
        var names: [String] = []
        for i in 0..<1500 {
            let name = String(i) + String(repeating: "n", count: (i * 7) % (252 - String(i).count)) + ".png"
            names.append(name)
            #expect(
                FileManager.default.createFile(atPath: classFolder.appendingPathComponent(name).path, contents: nil))
        }
        #expect(names.contains { $0.utf8.count == 255 } && names.contains { $0.utf8.count < 8 })
        let folder = try ImageFolder(directory: scratch.url.appendingPathComponent("wide"))
        let listed = folder.splits.flatMap(\.files).map(\.relativePath)
        #expect(listed == names.map { "c/" + $0 }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }
}
