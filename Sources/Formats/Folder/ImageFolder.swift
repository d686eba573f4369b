public import Foundation

/// A folder of images with one subfolder per class, the way people keep their own data and the
/// way notMNIST and the usual HWDB notebooks write theirs: `cat/001.png`, `dog/a.jpg`, …
/// Optionally split folders (`train/`, `validation/` or `val/`, `test/`) hold the class folders.
///
/// Listing only: no image is opened here (`FolderImage.load` reads one). Every name is taken as
/// the bytes the file system stores, so the order of `files` — bytewise by path relative to the
/// input — never depends on the file system's listing order or on Unicode normalization.
///
/// Rules:
/// - Names starting with `.` are not looked at (`.DS_Store`, `.git/`, a staging folder).
/// - Below a class folder every file ending in `.png`, `.jpg` or `.jpeg` (any case) is an image,
///   in subfolders too; other files are listed in `ignored`. A file's content decides whether it
///   is PNG or JPEG, not its name.
/// - Files beside the class folders (or beside the split folders) are listed in `ignored`.
/// - Split folders and other folders side by side are refused: it is not clear which are classes.
/// - Symbolic links are followed (a link that leads back into its own path is refused).
public struct ImageFolder: Sendable {
    /// One image file of a split.
    public struct File: Sendable, Equatable {
        /// Relative to the input folder, `/`-separated: `train/cat/001.png`, or `cat/001.png`
        /// without split folders.
        public var relativePath: String
        /// Index into `classNames`.
        public var classIndex: Int

        init(relativePath: String, classIndex: Int) {
            self.relativePath = relativePath
            self.classIndex = classIndex
        }
    }

    /// The image files of one split, in bytewise order of their relative paths.
    public struct Split: Sendable {
        /// `train`, `validation` or `test`.
        public var name: String
        /// Its images, bytewise sorted by relative path.
        public var files: [File]

        /// A split of `files` (e.g. a subset of another split's files).
        package init(name: String, files: [File]) {
            self.name = name
            self.files = files
        }
    }

    /// A file that is not taken as an image, and why.
    public struct Ignored: Sendable, Equatable {
        /// Why a file is not an image of the dataset; the raw value says it in words.
        public enum Reason: String, Sendable {
            /// In a class folder, but not named `.png`, `.jpg` or `.jpeg`.
            case notAnImageName = "not named .png, .jpg or .jpeg"
            /// Beside the class folders rather than in one.
            case outsideClassFolders = "not in a class folder"
        }

        /// Relative to the input folder, `/`-separated.
        public var relativePath: String
        /// Why it is left out.
        public var reason: Reason
    }

    /// The file name endings taken as images (after the last `.`), as UTF-8 bytes, lowercase.
    static let imageExtensions: [[UInt8]] = ["png", "jpg", "jpeg"].map { Array($0.utf8) }

    /// Split folder names, and the split each one is.
    static let splitFolderNames: [String: String] = [
        "train": "train", "validation": "validation", "val": "validation", "test": "test",
    ]

    /// The order splits are listed in.
    static let splitOrder = ["train", "validation", "test"]

    /// The input folder, as given.
    public let directory: URL
    /// Every class folder name of every split, bytewise sorted: label i is `classNames[i]`.
    public let classNames: [String]
    /// The splits present, in the order train, validation, test; a single `train` without split
    /// folders.
    public let splits: [Split]
    /// Whether the input holds split folders above the class folders.
    public let hasSplitFolders: Bool
    /// Files that are not taken as images, bytewise sorted.
    public let ignored: [Ignored]

    /// Lists `directory`. Errors: `.missingFile` when there is no class folder or no image at all,
    /// `.io` when a folder cannot be listed, `.badRecord` for a layout that is not clear (split
    /// folders beside other folders, both `val/` and `validation/`, a class name with a line
    /// break, a name that is not UTF-8, a link loop).
    public init(directory: URL) throws(FormatError) {
        self.directory = directory
        let root = directory.path
        var ignored: [Ignored] = []
        let top = try Self.entries(of: root)
        let splitFolders = top.filter { $0.kind == .directory && Self.splitFolderNames[$0.name] != nil }
        hasSplitFolders = !splitFolders.isEmpty
        // (split, folder relative to the input: "" or "train/")
        var splitRoots: [(split: String, prefix: String)] = []
        if hasSplitFolders {
            let others = top.filter { $0.kind == .directory && Self.splitFolderNames[$0.name] == nil }
            if !others.isEmpty {
                throw FormatError(
                    .badRecord, path: root,
                    "split folders (\(splitFolders.map { $0.name + "/" }.joined(separator: ", "))) beside other folders; "
                        + "put every class folder inside a split folder",
                    found: others.prefix(5).map { $0.name + "/" }.joined(separator: ", "))
            }
            if splitFolders.contains(where: { $0.name == "val" })
                && splitFolders.contains(where: { $0.name == "validation" })
            {
                throw FormatError(.badRecord, path: root, "both val/ and validation/: keep one validation folder")
            }
            for entry in top where entry.kind == .file {
                ignored.append(Ignored(relativePath: entry.name, reason: .outsideClassFolders))
            }
            for folder in splitFolders { splitRoots.append((Self.splitFolderNames[folder.name]!, folder.name + "/")) }
            splitRoots.sort { Self.splitOrder.firstIndex(of: $0.split)! < Self.splitOrder.firstIndex(of: $1.split)! }
        } else {
            splitRoots = [("train", "")]
        }
        // Per split: (class name, relative path) of every image.
        var found: [(split: String, images: [(className: String, path: String)])] = []
        var classes: Set<[UInt8]> = []
        for (split, prefix) in splitRoots {
            var images: [(className: String, path: String)] = []
            for entry in try Self.entries(of: root + "/" + prefix) {
                guard entry.kind == .directory else {
                    if entry.kind == .file {
                        ignored.append(Ignored(relativePath: prefix + entry.name, reason: .outsideClassFolders))
                    }
                    continue
                }
                if entry.name.contains(where: \.isNewline) {
                    throw FormatError(
                        .badRecord, path: root + "/" + prefix + entry.name,
                        "a class folder's name holds a line break (class names are one per line in label.labels.txt)")
                }
                classes.insert(Array(entry.name.utf8))
                try Self.walk(root: root, relative: prefix + entry.name) { path, isImage in
                    if isImage {
                        images.append((entry.name, path))
                    } else {
                        ignored.append(Ignored(relativePath: path, reason: .notAnImageName))
                    }
                }
            }
            found.append((split, images))
        }
        guard !classes.isEmpty else {
            throw FormatError(
                .missingFile, path: root,
                "no class folders: expected one folder of images per class"
                    + (hasSplitFolders
                        ? " inside the split folders" : " (optionally inside train/, validation/ or val/, test/)"))
        }
        let names = classes.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
        var indexOf: [[UInt8]: Int] = [:]
        for (i, name) in names.enumerated() { indexOf[Array(name.utf8)] = i }
        classNames = names
        splits = found.map { split, images in
            let files = images.map { File(relativePath: $0.path, classIndex: indexOf[Array($0.className.utf8)]!) }
            return Split(
                name: split,
                files: files.sorted { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) })
        }
        guard splits.contains(where: { !$0.files.isEmpty }) else {
            throw FormatError(.missingFile, path: root, "no .png, .jpg or .jpeg files in the class folders")
        }
        self.ignored = ignored.sorted { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
    }

    /// The full path of `file`.
    public func path(of file: File) -> String { directory.path + "/" + file.relativePath }

    // MARK: Listing

    enum EntryKind { case directory, file, other }

    struct Entry {
        var name: String
        var kind: EntryKind
    }

    /// The entries of the folder at `path` except `.`, `..` and hidden names, links resolved.
    /// The corresponding C functions are `opendir`, `readdir`, `stat` and `closedir`.
    static func entries(of path: String) throws(FormatError) -> [Entry] {
        guard let handle = opendir(path) else {
            let code = errno
            throw FormatError(
                code == ENOENT ? .missingFile : .io, path: path,
                "cannot list the folder: \(String(cString: strerror(code)))")
        }
        defer { closedir(handle) }
        var result: [Entry] = []
        while let entry = readdir(handle) {
            // In place (`&`), up to the name's 0: glibc sizes each record to its name, so copying
            // the whole 256-byte `d_name` of the buffer's last record read past its end (ASan).
            let bytes = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard let first = bytes.first, first != UInt8(ascii: ".") else { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw FormatError(
                    .badRecord, path: path, "a name in this folder is not valid UTF-8",
                    found: bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined())
            }
            var kind: EntryKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_REG): kind = .file
            case Int32(DT_LNK), Int32(DT_UNKNOWN): kind = kindOf(path + "/" + name)
            default: kind = .other
            }
            result.append(Entry(name: name, kind: kind))
        }
        return result
    }

    /// What `path` is once links are followed (`stat`); a dangling link is `.other`.
    static func kindOf(_ path: String) -> EntryKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        default: return .other
        }
    }

    /// Calls `visit(relativePath, isImageName)` for every file below `root/relative`, depth
    /// first; refuses a folder that is its own ancestor through a link.
    static func walk(root: String, relative: String, visit: (String, Bool) -> Void) throws(FormatError) {
        var stack: [(relative: String, ancestors: [FolderIdentity])] = [(relative, [])]
        while let (folder, ancestors) = stack.popLast() {
            let full = root + "/" + folder
            var info = stat()
            guard stat(full, &info) == 0 else {
                throw FormatError(.io, path: full, "cannot read the folder: \(String(cString: strerror(errno)))")
            }
            let identity = FolderIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if ancestors.contains(identity) {
                throw FormatError(.badRecord, path: full, "a link leads back into its own folder")
            }
            for entry in try entries(of: full) {
                let path = folder + "/" + entry.name
                switch entry.kind {
                case .directory: stack.append((path, ancestors + [identity]))
                case .file: visit(path, isImageName(entry.name))
                case .other: break
                }
            }
        }
    }

    /// Whether the file name `name` ends in `.png`, `.jpg` or `.jpeg`, in any ASCII case.
    ///
    /// By UTF-8 bytes, not Characters: a prepending mark such as U+06DD (ARABIC END OF AYAH) forms
    /// one Character with the `.` after it, so `x۝.png` split by Characters has no `.` at all.
    /// The extensions are ASCII, and no other character lowercases to theirs, so ASCII case
    /// folding of the bytes is all `lowercased()` did for them.
    static func isImageName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return false }
        let ending = bytes[bytes.index(after: dot)...].map { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
        }
        return imageExtensions.contains(ending)
    }

    struct FolderIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
    }
}
