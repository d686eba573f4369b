import Formats
import Foundation
import Imaging
import TestSupport
import Testing

/// File names are split at their last `.` by UTF-8 bytes, not by Characters. A prepending mark
/// (U+06DD ARABIC END OF AYAH, U+0600 ARABIC NUMBER SIGN) forms one Character with the `.` that
/// follows it, so split by Characters `x۝.png` had no `.` and was left out as "not named .png".
@Suite struct FolderFileNameTests {
    /// A class folder whose name ends in U+06DD, holding images whose dot follows a prepending
    /// mark, on disk: each is listed as an image of that class, read and decoded; names that do not
    /// end in an image extension by bytes stay ignored; the class name comes back byte for byte.
    @Test func aDotAfterAPrependingMarkStartsTheExtension() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-names")
        defer { try? FileManager.default.removeItem(at: root) }
        let png = ImageFolderTests.png
        try ImageFolderTests.tree(
            [
                ("x۝/x۝.png", png),
                ("x۝/y\u{600}.JPG", png),
                ("x۝/z۝.jpeg", png),
                // Not images: the ending after the last `.` is not png/jpg/jpeg, or there is no `.`.
                ("x۝/notes۝.txt", png),
                ("x۝/x۝png", png),
                ("x۝/a.png\u{301}", png),
                ("plain/a.png", png),
            ], in: root)
        // As Characters, `x۝.png` holds no `.` at all: the mark and the dot are one Character.
        #expect(!"x۝.png".contains(Character(".")))
        #expect("x۝.png".split(separator: ".").count == 1)

        let folder = try ImageFolder(directory: root)
        #expect(folder.classNames == ["plain", "x۝"])
        #expect(folder.classNames.map { Array($0.utf8) } == [Array("plain".utf8), [0x78, 0xDB, 0x9D]])
        let files = try #require(folder.splits.first).files
        #expect(files.map(\.relativePath) == ["plain/a.png", "x۝/x۝.png", "x۝/y\u{600}.JPG", "x۝/z۝.jpeg"])
        #expect(files.map(\.classIndex) == [0, 1, 1, 1])
        #expect(folder.ignored.map(\.relativePath) == ["x۝/a.png\u{301}", "x۝/notes۝.txt", "x۝/x۝png"])
        #expect(folder.ignored.allSatisfy { $0.reason == .notAnImageName })

        let reader = ImageFolderReader(folder: folder, files: files)
        while let entry = try reader.next() {
            let loaded = try FolderImage.load(path: entry.path)
            #expect(loaded.bytes == png, "\(entry.relativePath)")
            #expect(loaded.format == .png)
            #expect(entry.path == root.path + "/" + entry.relativePath)
        }
    }
}
