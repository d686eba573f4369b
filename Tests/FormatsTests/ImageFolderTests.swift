import Formats
import Foundation
import Imaging
import TestSupport
import Testing

/// `ImageFolder` lists class folders (with or without split folders) in bytewise path order and
/// refuses unclear layouts; `ImageFolderReader` hands the files out and skips for free;
/// `FolderImage` reads and decodes one file, tells plain files from others, and names
/// unreadable ones.
@Suite struct ImageFolderTests {
    static let fixture = FixturePaths.fixture("folder")

    /// A scratch tree made of `files` (relative path → bytes), created in the order given.
    static func tree(_ files: [(String, [UInt8])], in root: URL) throws {
        for (path, bytes) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
    }

    static let png: [UInt8] = try! PNGCodec.encode(
        Image(height: 2, width: 3, channels: 1, pixels: [0, 50, 100, 150, 200, 250]))

    @Test func listsTheFixtureAsTheGeneratorWroteIt() throws {
        let expected = try expectedJSON("folder/expected.json")
        let folder = try ImageFolder(directory: Self.fixture)
        #expect(folder.classNames == expected.strings("classes"))
        #expect(folder.classNames == ["circle", "square", "三角"])
        #expect(folder.hasSplitFolders)
        #expect(folder.splits.map(\.name) == ["train", "test"])
        let files = expected.list("files")
        for split in folder.splits {
            let want = files.filter { ($0["path"] as! String).hasPrefix(split.name + "/") }
                .map { ($0["path"] as! String, $0.int("label")) }
                .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            #expect(split.files.map(\.relativePath) == want.map(\.0), "\(split.name)")
            #expect(split.files.map(\.classIndex) == want.map(\.1), "\(split.name)")
        }
        let ignored = expected.dict("ignored") as! [String: String]
        #expect(
            folder.ignored.map(\.relativePath).sorted() == (ignored.keys.sorted() + ["expected.json"]).sorted())
        for file in folder.ignored where file.relativePath != "expected.json" {
            #expect(file.reason.rawValue == ignored[file.relativePath], "\(file.relativePath)")
        }
        #expect(folder.path(of: folder.splits[0].files[0]) == Self.fixture.path + "/train/circle/00-l.png")
    }

    /// Without split folders everything is train, and paths are relative to the input.
    @Test func classFoldersAloneAreOneTrainSplit() throws {
        let folder = try ImageFolder(directory: Self.fixture.appendingPathComponent("train"))
        #expect(!folder.hasSplitFolders)
        #expect(folder.splits.map(\.name) == ["train"])
        #expect(folder.splits[0].files.first?.relativePath == "circle/00-l.png")
        #expect(folder.splits[0].files.count == 14)
        #expect(folder.ignored.map(\.relativePath) == ["square/notes.txt"])
        #expect(folder.ignored.map(\.reason) == [.notAnImageName])
    }

    /// Bytewise order (upper case before lower case, then non-ASCII by UTF-8 bytes), subfolders
    /// of a class, hidden names skipped, extension case ignored, `val/` read as validation.
    @Test func orderSubfoldersHiddenNamesAndVal() throws {
        let root = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.tree(
            [
                ("val/b/x.PNG", Self.png), ("train/é/1.png", Self.png), ("train/中/1.png", Self.png),
                ("train/a/2.png", Self.png), ("train/Z/1.jpeg", Self.png), ("train/B/sub/deep/1.png", Self.png),
                ("train/B/1.png", Self.png), ("train/B/.hidden.png", Self.png), ("train/.git/x.png", Self.png),
                ("test/a/1.jpg", Self.png),
            ], in: root)
        let folder = try ImageFolder(directory: root)
        #expect(folder.classNames == ["B", "Z", "a", "b", "é", "中"])
        #expect(folder.splits.map(\.name) == ["train", "validation", "test"])
        #expect(
            folder.splits[0].files.map(\.relativePath) == [
                "train/B/1.png", "train/B/sub/deep/1.png", "train/Z/1.jpeg", "train/a/2.png", "train/é/1.png",
                "train/中/1.png",
            ])
        #expect(folder.splits[0].files.map(\.classIndex) == [0, 0, 1, 2, 4, 5])
        #expect(folder.splits[1].files.map(\.relativePath) == ["val/b/x.PNG"])
        #expect(folder.splits[1].files.map(\.classIndex) == [3])
        #expect(folder.ignored.isEmpty)
    }

    /// The same tree created in two different orders lists the same.
    @Test func listingDoesNotDependOnCreationOrder() throws {
        let root = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let files = (0..<40).map { i in ("c\(i % 7)/f\((i * 13) % 40).png", Self.png) }
        try Self.tree(files, in: root.appendingPathComponent("one"))
        try Self.tree(files.reversed(), in: root.appendingPathComponent("two"))
        let one = try ImageFolder(directory: root.appendingPathComponent("one"))
        let two = try ImageFolder(directory: root.appendingPathComponent("two"))
        #expect(one.classNames == two.classNames)
        #expect(one.splits[0].files == two.splits[0].files)
        #expect(one.splits[0].files.count == 40)
    }

    @Test func unclearLayoutsAreRefused() throws {
        let root = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func layout(_ name: String, _ files: [String]) throws -> URL {
            let url = root.appendingPathComponent(name)
            try Self.tree(files.map { ($0, Self.png) }, in: url)
            return url
        }
        let mixed = formatError {
            _ = try ImageFolder(directory: try layout("mixed", ["train/a/1.png", "cats/1.png"]))
        }
        #expect(mixed?.kind == .badRecord)
        #expect(mixed?.description.contains("cats/") == true)
        let twice = formatError {
            _ = try ImageFolder(directory: try layout("twice", ["val/a/1.png", "validation/a/1.png"]))
        }
        #expect(twice?.message.contains("val/ and validation/") == true)
        let newline = formatError { _ = try ImageFolder(directory: try layout("newline", ["a\nb/1.png"])) }
        #expect(newline?.kind == .badRecord)
        let none = formatError { _ = try ImageFolder(directory: try layout("none", ["1.png", "notes.txt"])) }
        #expect(none?.kind == .missingFile)
        #expect(none?.message.contains("no class folders") == true)
        let empty = formatError { _ = try ImageFolder(directory: try layout("empty", ["a/notes.txt"])) }
        #expect(empty?.kind == .missingFile)
        #expect(empty?.message.contains("no .png, .jpg or .jpeg files") == true)
        let missing = formatError { _ = try ImageFolder(directory: root.appendingPathComponent("nowhere")) }
        #expect(missing?.kind == .missingFile)
        // A link back to its own class folder.
        let loop = try layout("loop", ["a/1.png"])
        try FileManager.default.createSymbolicLink(
            atPath: loop.appendingPathComponent("a/again").path,
            withDestinationPath: loop.appendingPathComponent("a").path)
        let cycle = formatError { _ = try ImageFolder(directory: loop) }
        #expect(cycle?.message.contains("leads back") == true)
    }

    /// A name that is not UTF-8 cannot be a class name or a file name in the records.
    @Test func aNameThatIsNotUTF8IsRefused() throws {
        let root = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        let name = Array((root.path + "/a/").utf8) + [0xFF, 0]
        let fd = name.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer {
            open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644)
        }
        try #require(fd >= 0)
        close(fd)
        let error = formatError { _ = try ImageFolder(directory: root) }
        #expect(error?.message.contains("not valid UTF-8") == true)
        #expect(error?.found == "\\xff")
    }

    @Test func readerHandsOutEntriesAndSkipsForFree() throws {
        let folder = try ImageFolder(directory: Self.fixture)
        let files = folder.splits[0].files
        let all = try readAll(ImageFolderReader(folder: folder, files: files))
        #expect(all.map(\.index) == Array(0..<files.count))
        #expect(all.map(\.relativePath) == files.map(\.relativePath))
        #expect(all.map(\.classIndex) == files.map(\.classIndex))
        #expect(all.allSatisfy { $0.path == Self.fixture.path + "/" + $0.relativePath })
        let reader = ImageFolderReader(folder: folder, files: files)
        #expect(try reader.skip(5) == 5)
        #expect(try reader.next() == all[5])
        #expect(try reader.skip(100) == files.count - 6)
        #expect(try reader.next() == nil)
    }

    /// Every fixture image decodes to its recorded size and channels; plain 8-bit gray/RGB PNGs
    /// and JPEGs are plain, the RGBA and palette PNGs are not.
    @Test func fixtureImagesDecode() throws {
        for file in try expectedJSON("folder/expected.json").list("files") {
            let path = file["path"] as! String
            let image = try FolderImage.load(path: Self.fixture.path + "/" + path)
            #expect(image.image.width == file.int("width") && image.image.height == file.int("height"), "\(path)")
            #expect(image.image.channels == file.int("channels"), "\(path)")
            #expect(image.format == (file["format"] as! String == "png" ? .png : .jpeg), "\(path)")
            #expect(image.isPlain == !(path.hasSuffix("-rgba.png") || path.hasSuffix("-p.png")), "\(path)")
            #expect(image.bytes == (try readBytes(Self.fixture.path + "/" + path)))
        }
    }

    @Test func unreadableFilesAreNamed() throws {
        let broken = FixturePaths.fixture("broken/folder")
        let cut = formatError { _ = try FolderImage.load(path: broken.path + "/a/cut.png") }
        #expect(cut?.kind == .decode)
        #expect(cut?.path == broken.path + "/a/cut.png")
        #expect(cut?.message.hasPrefix("not a readable image: PNG") == true)
        let empty = formatError { _ = try FolderImage.load(path: broken.path + "/b/empty.png") }
        #expect(empty?.kind == .decode)
        #expect(empty?.found == "an empty file")
        let text = formatError { _ = try FolderImage.load(path: Self.fixture.path + "/README.txt") }
        #expect(text?.kind == .decode)
        #expect(text?.found?.hasPrefix("first bytes [53 68 61 70]") == true)
        let missing = formatError { _ = try FolderImage.load(path: broken.path + "/none.png") }
        #expect(missing?.kind == .missingFile)
        for good in try expectedJSON("broken/folder/expected.json").strings("readable") {
            #expect(throws: Never.self) { try FolderImage.load(path: broken.path + "/" + good) }
        }
    }
}
