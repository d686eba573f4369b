// The archive input reader (ArchiveFile over libarchive's ArchiveReader: tar, plain or gzip,
// bzip2, xz; zip) over one file of fuzzed bytes: the listing, with every other entry kept in
// memory as convert keeps digitStruct.mat or batches.meta.txt, then each entry's data read
// (moving forward and reopening the archive), and again in reverse order through
// ArchiveOrderedReader with a small read-ahead budget.
import Formats
import Foundation
import FuzzSupport

/// Entries read one by one; an archive of thousands of tiny entries would otherwise spend the
/// run reopening itself (reading in reverse order is quadratic in the entries).
private let maxEntriesRead = 24

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    let path = Scratch.write(input, to: "input.archive")
    _ = ArchiveFile.kind(of: Array(input.prefix(512)))
    fuzzCheck(ArchiveFile.leadingBytes(ofFileAt: path).elementsEqual(input.prefix(512)), "leading bytes")

    let listed = Result { () throws(FormatError) in try ArchiveFile(path: path, keep: { $0.ordinal % 2 == 0 }) }
    guard case .success(let archive) = listed else {
        if case .failure(let error) = listed { checkNamesArchive(error, path) }
        return 0
    }
    let ordinals = archive.entries.map(\.ordinal)
    fuzzCheck(zip(ordinals, ordinals.dropFirst()).allSatisfy { $0 < $1 }, "entries out of order")

    let entries = Array(archive.entries.prefix(maxEntriesRead))
    var contents: [Int: [UInt8]] = [:]
    for entry in entries {
        fuzzCheck(archive.entry(entry.name).map { $0.ordinal <= entry.ordinal } == true, "entry(\(entry.name))")
        let file = InputFile(entry: entry, of: archive)
        do {
            let bytes = try file.contents()
            if let size = entry.size {
                fuzzCheck(bytes.count == size, "\(entry.name): \(bytes.count) of \(size) bytes")
            }
            contents[entry.ordinal] = bytes
            let head = try file.prefix(16)
            fuzzCheck(head.elementsEqual(bytes.prefix(16)), "\(entry.name): prefix differs from the contents")
        } catch {
            checkNamesArchive(error, path)
        }
    }

    let reversed = ArchiveOrderedReader(archive: archive, order: entries.reversed(), budget: 4096)
    do {
        while let (entry, bytes) = try reversed.next() {
            if let read = contents[entry.ordinal] {
                fuzzCheck(bytes == read, "\(entry.name): read in reverse order, the data differ")
            }
        }
    } catch {
        checkNamesArchive(error, path)
    }
    fuzzCheck(reversed.peakHeldBytes <= 4096, "read-ahead beyond its budget")
    return 0
}

/// Errors name the archive (and the entry, after it).
private func checkNamesArchive(_ error: FormatError, _ path: String) {
    fuzzCheck(error.path.hasPrefix(path), "an error that does not name the archive: \(error)")
}
