// The image-folder reader (convert folder): the listing (ImageFolder: class and split folder
// names, as the file system stores their bytes), the files of each split (ImageFolderReader), and
// one file's bytes read, sniffed and decoded (FolderImage.load: PNG or JPEG by content, whether
// the bytes may be stored as they are). One input holds the layout and the image:
//   [folder paths length: UInt16, little-endian] [folder paths, 0x00-separated] [image bytes: the rest]
// Every folder path (relative to the input folder, `/`-separated, any other bytes allowed, such
// as a line break or invalid UTF-8) is made and gets the image as `i.png` and as `<its own
// name>.png` (any bytes before the dot: the extension is found by bytes); the first one also a
// `notes.txt`. No path: one class folder `a`. Fuzz/seeds.py packs the fixture folders this way.
import Formats
import FormatsFuzzing
import Foundation
import FuzzSupport
import Glibc
import Imaging

/// More folders than this add nothing but system calls.
private let maxFolders = 6
/// Deeper than this neither: a class folder's subfolders are walked like the class folder.
private let maxDepth = 4

/// Once per process, before the first input: a class folder of more names than one `readdir`
/// buffer (32 KiB) holds, of lengths 1 to 255, listed under ASan. glibc sizes each record to its
/// name, so a reader that copied the whole 256-byte `d_name` read past the buffer's end (found
/// here, in FuzzSupport's own clean-up first).
private let wideFolderListed: Bool = {
    let root = Scratch.path("wide")
    Scratch.remove(root)
    Scratch.makeDirectory(root)
    Scratch.makeDirectory(root + "/c")
    let count = 1500
    for i in 0..<count {
        let name = "\(i)" + String(repeating: "n", count: (i * 7) % 245) + ".png"
        Scratch.write(UnsafeRawBufferPointer(start: nil, count: 0), to: "wide/c/" + name)
    }
    let listed = try? ImageFolder(directory: URL(fileURLWithPath: root))
    fuzzCheck(
        listed?.splits.first?.files.count == count,
        "a folder of \(count) images listed as \(String(describing: listed))")
    Scratch.remove(root)
    return true
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFolder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = wideFolderListed
    let input = fuzzInput(data, size)
    let layoutLength = input.count >= 2 ? min(Int(input[0]) | Int(input[1]) << 8, input.count - 2) : 0
    let layout = input.count >= 2 ? Array(input[2..<(2 + layoutLength)]) : []
    let image = UnsafeRawBufferPointer(rebasing: input[min(input.count, 2 + layoutLength)...])

    let root = Scratch.path("folder")
    Scratch.remove(root)
    Scratch.makeDirectory(root)
    var folders = layout.split(separator: 0, omittingEmptySubsequences: true).prefix(maxFolders).compactMap {
        relativeFolder(Array($0))
    }
    if folders.isEmpty { folders = [[Array("a".utf8)]] }
    var imagePaths: [[UInt8]] = []
    // (`…/i.png`, `…/<folder name>.png`) relative to the input, for each folder that got both.
    var namedAfterFolder: [(plain: [UInt8], named: [UInt8])] = []
    for components in folders {
        var path = Array(root.utf8)
        for component in components {
            path += [UInt8(ascii: "/")] + component
            guard mkdir(cString(path), 0o700) == 0 || errno == EEXIST else { break }
        }
        guard writeFile(path + Array("/i.png".utf8), image) else { continue }
        imagePaths.append(path + Array("/i.png".utf8))
        // A name ending in a prepending mark (U+06DD) makes `۝.` one Character: a reader that
        // looks for the dot by Characters misses the extension.
        let relative = components.joined(separator: [UInt8(ascii: "/")])
        let named = components.last! + Array(".png".utf8)
        if writeFile(path + [UInt8(ascii: "/")] + named, image) {
            namedAfterFolder.append((relative + Array("/i.png".utf8), relative + [UInt8(ascii: "/")] + named))
        }
    }
    // Listed as ignored unless it lies in a hidden folder, which the listing does not look into.
    let notesListed =
        writeFile(
            Array(root.utf8) + [UInt8(ascii: "/")] + folders[0].joined(separator: [UInt8(ascii: "/")])
                + Array("/notes.txt".utf8), UnsafeRawBufferPointer(start: nil, count: 0))
        && !folders[0].contains { $0.first == UInt8(ascii: ".") }

    if let folder = try? ImageFolder(directory: URL(fileURLWithPath: root)) {
        checkListing(folder, notesListed: notesListed, namedAfterFolder: namedAfterFolder)
    }
    if let first = imagePaths.first { checkImage(path: String(decoding: first, as: UTF8.self), bytes: image) }
    return 0
}

/// A folder path's components, without empty, `.` and `..` ones (which would leave the input
/// folder or name it twice); nil when nothing is left or it is too deep or long for the file system.
private func relativeFolder(_ path: [UInt8]) -> [[UInt8]]? {
    let components = path.split(separator: UInt8(ascii: "/")).map(Array.init).filter {
        $0 != Array(".".utf8) && $0 != Array("..".utf8)
    }
    guard !components.isEmpty, components.count <= maxDepth, components.allSatisfy({ $0.count <= 255 }) else {
        return nil
    }
    return components
}

/// Writes `bytes` to the file at `path` (raw bytes, no terminating 0); false when it cannot be made.
private func writeFile(_ path: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
    let fd = open(cString(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        guard n > 0 else { fatalError("fuzz harness: short write to \(String(decoding: path, as: UTF8.self))") }
        done += n
    }
    return true
}

/// The listing's promises: class names unique, bytewise sorted and one line each; every file
/// under its class's folder, named as an image, in bytewise order; a folder's `<name>.png` listed
/// wherever its `i.png` is; the reader of each split hands them out in order and skips exactly.
private func checkListing(
    _ folder: ImageFolder, notesListed: Bool, namedAfterFolder: [(plain: [UInt8], named: [UInt8])]
) {
    let names = folder.classNames.map { Array($0.utf8) }
    fuzzCheck(!names.isEmpty, "a listing without classes")
    fuzzCheck(zip(names, names.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }, "class names not sorted")
    fuzzCheck(!folder.classNames.contains { $0.contains(where: \.isNewline) }, "a class name with a line break")
    fuzzCheck(folder.splits.contains { !$0.files.isEmpty }, "a listing without images")
    for split in folder.splits {
        fuzzCheck(["train", "validation", "test"].contains(split.name), "split \(split.name)")
        let paths = split.files.map { Array($0.relativePath.utf8) }
        fuzzCheck(zip(paths, paths.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }, "files not sorted")
        for file in split.files {
            fuzzCheck(names.indices.contains(file.classIndex), "class index \(file.classIndex) out of range")
            // By bytes: as Characters, a `/` after a prepending mark (U+06DD) is no separator.
            let components = file.relativePath.utf8.split(
                separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            let classComponent = folder.hasSplitFolders ? 1 : 0
            fuzzCheck(
                components.count > classComponent + 1
                    && Array(components[classComponent]) == names[file.classIndex],
                "\(file.relativePath) is not in the folder of class \(folder.classNames[file.classIndex])")
            // By bytes too (`hasSuffix("/i.png")` fails when the folder's name ends in U+06DD).
            let name = Array(components[components.count - 1])
            fuzzCheck(
                name == Array("i.png".utf8) || name == Array(components[components.count - 2]) + Array(".png".utf8),
                "\(file.relativePath) taken as an image")
        }
        checkReader(
            { () throws(FormatError) in ImageFolderReader(folder: folder, files: split.files) }, index: \.index,
            check: { entry in
                fuzzCheck(entry.path == folder.path(of: split.files[entry.index]), "path of file \(entry.index)")
                fuzzCheck(entry.classIndex == split.files[entry.index].classIndex, "class of file \(entry.index)")
            })
    }
    let listed = Set(folder.splits.flatMap { $0.files.map { Array($0.relativePath.utf8) } })
    for (plain, named) in namedAfterFolder where listed.contains(plain) {
        fuzzCheck(
            listed.contains(named),
            "\(String(decoding: named, as: UTF8.self)) not taken as an image beside \(String(decoding: plain, as: UTF8.self))"
        )
    }
    fuzzCheck(
        !notesListed || folder.ignored.contains { $0.relativePath.hasSuffix("notes.txt") },
        "notes.txt not listed as ignored")
}

/// One file read and decoded: the bytes as written, the format they start with, pixels of the
/// shape decoded, and a plain PNG (stored as it is) of the colour type its header names.
private func checkImage(path: String, bytes: UnsafeRawBufferPointer) {
    guard let loaded = try? FolderImage.load(path: path) else { return }
    fuzzCheck(loaded.bytes.elementsEqual(bytes), "the bytes read differ from the file's")
    fuzzCheck(Image.encodedFormat(of: loaded.bytes) == loaded.format, "format not the one the bytes start with")
    let image = loaded.image
    fuzzCheck(image.channels == 1 || image.channels == 3, "\(image.channels) channels")
    fuzzCheck(image.pixels.count == image.width * image.height * image.channels, "pixel count")
    if loaded.isPlain && loaded.format == .png {
        fuzzCheck(loaded.bytes.count > 25 && [0, 2].contains(loaded.bytes[25]), "a plain PNG that is not gray or RGB")
        fuzzCheck(image.channels == (loaded.bytes[25] == 0 ? 1 : 3), "a plain PNG decoded to other channels")
    }
}
