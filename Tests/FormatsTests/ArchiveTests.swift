import Formats
import Foundation
import Imaging
import TestSupport
import Testing

/// The archive layer: libarchive's listing of the fixture archives, readers reading an entry
/// exactly as the file, the reader that moves forward and reopens, the ordered reader's holding
/// and passes, damaged archives, magic numbers, and SHA-256s taken while streaming.
@Suite struct ArchiveTests {
    static let cifar10 = FixturePaths.fixture("archives/cifar-10-binary.tar.gz").path
    static let svhnTrain = FixturePaths.fixture("archives/svhn/train.tar.gz").path
    static let hwdbTrain = FixturePaths.fixture("archives/hwdb/HWDB1.0trn_gnt.zip").path

    static func bytes(_ fixture: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: FixturePaths.fixture(fixture)))
    }

    @Test func listsTheFilesInArchiveOrderWithTheirSizes() throws {
        let archive = try ArchiveFile(path: Self.cifar10)
        #expect(
            archive.entries.map(\.name) == [
                "cifar-10-batches-bin/batches.meta.txt", "cifar-10-batches-bin/test_batch.bin",
                "cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/readme.html",
            ])
        // The folder entry counts in the ordinals, not among the files.
        #expect(archive.entries.map(\.ordinal) == [1, 2, 3, 4])
        #expect(archive.entries.map(\.size) == [61, 6 * 3073, 12 * 3073, 30])
        #expect(archive.entry("cifar-10-batches-bin/test_batch.bin")?.fileName == "test_batch.bin")
        #expect(archive.entry("test_batch.bin") == nil)
        #expect(archive.passes == 1)
    }

    /// EMNIST's gzip.zip: an idx image entry and its label entry (stored after it) are read side
    /// by side, each through a reader of its own and gunzipped, giving the files' samples; the
    /// shared reader is left alone, so another entry can still be read meanwhile.
    @Test func idxEntriesOfAZipStreamSideBySide() throws {
        let path = FixturePaths.fixture("archives/emnist/gzip.zip").path
        let archive = try ArchiveFile(path: path)
        for split in ["train", "test"] {
            let stem = "emnist-letters-\(split)-"
            let images = try #require(archive.entry("gzip/\(stem)images-idx3-ubyte.gz"))
            let labels = try #require(archive.entry("gzip/\(stem)labels-idx1-ubyte.gz"))
            #expect(images.ordinal < labels.ordinal)
            let fromZip = try MNISTReader(
                images: InputFile(entry: images, of: archive), labels: InputFile(entry: labels, of: archive))
            let fromFiles = try MNISTReader(
                images: FixturePaths.fixture("emnist/\(stem)images-idx3-ubyte.gz"),
                labels: FixturePaths.fixture("emnist/\(stem)labels-idx1-ubyte.gz"))
            let first = try #require(try fromZip.next())
            let mapping = try #require(archive.entry("gzip/emnist-letters-mapping.txt"))
            #expect(try InputFile(entry: mapping, of: archive).contents().starts(with: Array("1 65 97\n".utf8)))
            let samples = [first] + (try readAll(fromZip))
            #expect(samples.count == fromZip.count)
            #expect(samples == (try readAll(fromFiles)))
        }
    }

    @Test func aCIFARReaderReadsAnEntryAsItReadsTheFile() throws {
        let archive = try ArchiveFile(path: Self.cifar10)
        for name in ["data_batch_1.bin", "test_batch.bin"] {
            let entry = try #require(archive.entry("cifar-10-batches-bin/" + name))
            let input = InputFile(entry: entry, of: archive)
            #expect(input.path == Self.cifar10 + "/cifar-10-batches-bin/" + name)
            #expect(input.name == name)
            let fromArchive = try CIFARReader(input: input, variant: .cifar10)
            let fromFile = try CIFARReader(file: FixturePaths.fixture("cifar10/" + name), variant: .cifar10)
            #expect(fromArchive.count == fromFile.count)
            let samples = try readAll(fromArchive)
            #expect(samples.count == fromArchive.count)
            #expect(samples == (try readAll(fromFile)))
        }
        // test_batch lies before data_batch_1: reading it second opened the archive again.
        #expect(archive.passes == 3)
    }

    @Test func skippingInsideAnEntryLandsWhereReadingWould() throws {
        let archive = try ArchiveFile(path: Self.cifar10)
        let entry = try #require(archive.entry("cifar-10-batches-bin/data_batch_1.bin"))
        let reader = try CIFARReader(input: InputFile(entry: entry, of: archive), variant: .cifar10)
        #expect(try reader.skip(7) == 7)
        let all = try readAll(CIFARReader(file: FixturePaths.fixture("cifar10/data_batch_1.bin"), variant: .cifar10))
        #expect(try reader.next() == all[7])
        #expect(try reader.skip(100) == 4)
        #expect(try reader.next() == nil)
    }

    @Test func readsForwardAndReopensOnlyForAnEntryBehind() throws {
        let archive = try ArchiveFile(path: Self.cifar10)
        let files = archive.entries.map { InputFile(entry: $0, of: archive) }
        for file in files {
            let want =
                file.name == "readme.html"
                ? Array("<html>CIFAR-10 fixture</html>\n".utf8) : try Self.bytes("cifar10/" + file.name)
            #expect(try file.contents() == want, "\(file.name)")
        }
        #expect(archive.passes == 2)  // the listing, then one forward pass over all four
        _ = try files[0].contents()
        #expect(archive.passes == 3)
    }

    @Test func anEntryReadAfterAnotherWasOpenedIsAnError() throws {
        let archive = try ArchiveFile(path: Self.cifar10)
        let test = try CIFARReader(
            input: InputFile(entry: try #require(archive.entry("cifar-10-batches-bin/test_batch.bin")), of: archive),
            variant: .cifar10)
        for _ in 0..<6 { #expect(try test.next() != nil) }
        let train = try CIFARReader(
            input: InputFile(entry: try #require(archive.entry("cifar-10-batches-bin/data_batch_1.bin")), of: archive),
            variant: .cifar10)
        #expect(try train.next() != nil)
        // test_batch.bin's stream would have to read on to see its end, but the archive moved on.
        let error = formatError { _ = try test.next() }
        #expect(error?.kind == .io)
        #expect(error?.message.contains("another entry of the archive was opened") == true)
    }

    @Test func zipEntriesReadAsTheGntFiles() throws {
        let archive = try ArchiveFile(path: Self.hwdbTrain)
        #expect(archive.entries.map(\.name) == ["1002-c.gnt", "1001-c.gnt"])
        for name in ["1001-c.gnt", "1002-c.gnt"] {  // the second lies behind the first: a seek, reopened
            let entry = try #require(archive.entry(name))
            let samples = try readAll(GNTReader(input: InputFile(entry: entry, of: archive)))
            #expect(samples == (try readAll(GNTReader(file: FixturePaths.fixture("hwdb/train/" + name)))))
        }
    }

    @Test func digitStructFromAnArchiveIsTheFileOnDisk() throws {
        let archive = try ArchiveFile(path: Self.svhnTrain, keep: { $0.fileName == "digitStruct.mat" })
        let entry = try #require(archive.entry("train/digitStruct.mat"))
        let fromArchive = try DigitStructReader(input: InputFile(entry: entry, of: archive))
        let fromDisk = try DigitStructReader(url: FixturePaths.fixture("svhn/train/digitStruct.mat"))
        #expect(fromArchive.count == 4)
        let entries = try readAll(fromArchive)
        #expect(entries == (try readAll(fromDisk)))
        #expect(archive.passes == 1)  // kept while listing: no second read
        try fromArchive.restart()
        #expect(try readAll(fromArchive) == entries)
        // Kept data is handed out once; a second reader reads the archive again.
        _ = try DigitStructReader(input: InputFile(entry: entry, of: archive))
        #expect(archive.passes == 2)
    }

    /// train.tar.gz stores 3.png, 1.png, digitStruct.mat, 4.png, 2.png.
    @Test(arguments: [(1 << 20, 1), (0, 2)])
    func orderedReaderHandsOutFilesInTheAskedOrder(budget: Int, passes: Int) throws {
        let archive = try ArchiveFile(path: Self.svhnTrain)
        let names = ["1.png", "2.png", "3.png", "4.png"]
        let order = try names.map { try #require(archive.entry("train/" + $0)) }
        let reader = ArchiveOrderedReader(archive: archive, order: order, budget: budget)
        for name in names {
            let (entry, data) = try #require(try reader.next())
            #expect(entry.fileName == name)
            #expect(data == (try Self.bytes("svhn/train/" + name)))
        }
        #expect(try reader.next() == nil)
        // Holding 3.png while 1.png is read (and 4.png while 2.png is) takes one pass; holding
        // nothing, 3.png starts the archive again (and 4.png follows in that second pass).
        #expect(archive.passes == 1 + passes)
        #expect(budget == 0 ? reader.peakHeldBytes == 0 : reader.peakHeldBytes >= 463)
    }

    @Test func aTightBudgetKeepsTheFilesNeededSoonest() throws {
        let archive = try ArchiveFile(path: Self.svhnTrain)
        // Ask for 2.png last: 3.png (463 bytes) and 4.png (316) come before their turn; with room
        // for one, 3.png (needed sooner) is kept while reading toward 1.png, then 4.png.
        let names = ["1.png", "3.png", "4.png", "2.png"]
        let order = try names.map { try #require(archive.entry("train/" + $0)) }
        let reader = ArchiveOrderedReader(archive: archive, order: order, budget: 500)
        for name in names {
            let (entry, data) = try #require(try reader.next())
            #expect(entry.fileName == name)
            #expect(data == (try Self.bytes("svhn/train/" + name)))
        }
        #expect(reader.peakHeldBytes <= 500)
        #expect(archive.passes == 2)
    }

    @Test func aCutTarGzNamesTheArchiveAndTheEntry() {
        let path = FixturePaths.fixture("archives/broken/cut-cifar-10-binary.tar.gz").path
        let error = formatError { _ = try ArchiveFile(path: path) }
        #expect(error?.kind == .truncated)
        #expect(error?.path == path + "/cifar-10-batches-bin/data_batch_1.bin")
        #expect(error?.message.contains("Truncated") == true, "\(String(describing: error))")
    }

    @Test func aZipEntryWithABadCRCIsDamage() throws {
        let path = FixturePaths.fixture("archives/broken/bad-crc_gnt.zip").path
        let archive = try ArchiveFile(path: path)  // the listing reads headers only
        let entry = try #require(archive.entry("1001-c.gnt"))
        let error = formatError { _ = try readAll(GNTReader(input: InputFile(entry: entry, of: archive))) }
        #expect(error?.kind == .compression)
        #expect(error?.path == path + "/1001-c.gnt")
        #expect(error?.message.contains("CRC") == true, "\(String(describing: error))")
    }

    @Test func aFileThatIsNoArchiveIsRefused() {
        let error = formatError { _ = try ArchiveFile(path: FixturePaths.fixture("cifar10/data_batch_1.bin").path) }
        #expect(error?.kind == .badMagic)
        let missing = formatError { _ = try ArchiveFile(path: "/nonexistent/x.tar.gz") }
        #expect(missing?.kind == .missingFile)
    }

    @Test func magicNumbers() throws {
        #expect(ArchiveFile.kind(of: ArchiveFile.leadingBytes(ofFileAt: Self.cifar10)) == .gzip)
        #expect(ArchiveFile.kind(of: ArchiveFile.leadingBytes(ofFileAt: Self.hwdbTrain)) == .zip)
        #expect(ArchiveFile.kind(of: Array("ALZ\u{01}rest".utf8)) == .alz)
        #expect(ArchiveFile.kind(of: Array("BZh91AY".utf8)) == .bzip2)
        var tar = [UInt8](repeating: 0, count: 512)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(ArchiveFile.kind(of: tar) == .tar)
        #expect(ArchiveFile.kind(of: try Self.bytes("cifar10/data_batch_1.bin")) == nil)
        #expect(ArchiveFile.leadingBytes(ofFileAt: "/nonexistent").isEmpty)
    }

    @Test func readersHashWhatTheyStream() throws {
        let digests = InputDigests()
        let images = FixturePaths.fixture("digits/train-images-idx3-ubyte.gz")
        let labels = FixturePaths.fixture("digits/train-labels-idx1-ubyte.gz")
        let reader = try MNISTReader(
            images: InputFile(disk: images, digests: digests), labels: InputFile(disk: labels, digests: digests))
        #expect(try readAll(reader).count == 2000)
        let partial = FixturePaths.fixture("cifar10/data_batch_1.bin")
        _ = try CIFARReader(input: InputFile(disk: partial, digests: digests), variant: .cifar10).next()
        let done = try digests.finish()
        for url in [images, labels, partial] {
            let digest = try #require(done[url.path])
            #expect(digest.sha256 == (try sha256sum(url.path)))
        }
        // Read to the end while converting: not read again. Read only in part: the rest is.
        #expect(done[images.path]?.readAgain == 0)
        #expect(done[labels.path]?.readAgain == 0)
        #expect(done[partial.path]?.readAgain == 0)  // 64 KiB read ahead covers this small file
        #expect(done[partial.path]?.size == 12 * 3073)
    }

    @Test func aSkippedPartIsHashedAtTheEnd() throws {
        let digests = InputDigests()
        let file = FixturePaths.fixture("digits/t10k-images-idx3-ubyte")  // 392 KiB, plain: skip seeks
        let labels = FixturePaths.fixture("digits/t10k-labels-idx1-ubyte")
        let reader = try MNISTReader(
            images: InputFile(disk: file, digests: digests), labels: InputFile(disk: labels, digests: digests))
        #expect(try reader.skip(400) == 400)
        _ = try reader.next()
        let done = try digests.finish()
        #expect(done[file.path]?.sha256 == (try sha256sum(file.path)))
        #expect((done[file.path]?.readAgain ?? 0) > 300_000)
        #expect(done[labels.path]?.sha256 == (try sha256sum(labels.path)))
    }

    @Test func anArchiveIsHashedWhileItIsListed() throws {
        let digests = InputDigests()
        _ = try ArchiveFile(path: Self.cifar10, digests: digests)
        let unread = try digests.finish([Self.cifar10], onlyIfUnreadBelow: 1 << 20)
        let digest = try #require(unread[Self.cifar10])
        #expect(digest.sha256 == (try sha256sum(Self.cifar10)))
        // The gzip stream's end was read; at most the bytes after it were left.
        #expect(digest.readAgain < 64)
        // A zip is read through seeks (its central directory first); what the reads covered in
        // order is hashed, the rest read when finishing.
        let zip = InputDigests()
        _ = try ArchiveFile(path: Self.hwdbTrain, digests: zip)
        #expect(try zip.finish()[Self.hwdbTrain]?.sha256 == (try sha256sum(Self.hwdbTrain)))
    }

    /// A PNG folder's listing hash, made file by file, is the shell's
    /// `LC_ALL=C sha256sum $(LC_ALL=C ls *.png) | sha256sum` for names that sort differently
    /// bytewise, numerically and by case; a missing file is an error naming it.
    @Test func aFolderListingIsHashedAsSha256sumListsIt() throws {
        let folder = try FixturePaths.makeScratchDirectory("shardkit-listing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = ["9.png", "10.png", "a.png", "B.png", "big.png"]
        for (i, name) in names.enumerated() {
            // One file larger than the 1 MiB read chunk.
            let size = name == "big.png" ? (1 << 20) + 4321 : 100 * i
            try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })
                .write(to: folder.appendingPathComponent(name))
        }
        let sorted = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(sorted == ["10.png", "9.png", "B.png", "a.png", "big.png"])
        let expected = try sha256sumListingOfPNGs(in: folder.path)
        #expect(expected.count == 64)
        #expect(try InputDigests.listingSHA256(folder: folder.path, names: sorted) == String(expected))
        #expect(try InputDigests.listingSHA256(folder: folder.path, names: names) != String(expected))
        #expect(throws: FormatError.self) {
            try InputDigests.listingSHA256(folder: folder.path, names: ["10.png", "gone.png"])
        }
    }
}
