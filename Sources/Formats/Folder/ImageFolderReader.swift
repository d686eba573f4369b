import Foundation

/// One image file of a split, as `ImageFolderReader` hands it out: where it is and its class.
/// The bytes are read where the pixels are needed (`FolderImage.load`), so that reading and
/// decoding spread over the encoding workers instead of the listing thread.
public struct FolderEntry: Sendable, Equatable {
    /// Zero-based position in the split's file list.
    public var index: Int
    /// The full path.
    public var path: String
    /// Relative to the input folder (`train/cat/001.png`).
    public var relativePath: String
    /// The class: an index into the folder's `classNames`.
    public var classIndex: Int
}

/// The files of one split of an `ImageFolder`, one after another in bytewise path order.
/// Skipping is free: the files are a list.
public final class ImageFolderReader: FormatReader {
    /// A reader yields `FolderEntry`s (the image is loaded by `FolderImage.load`).
    public typealias Sample = FolderEntry

    private let root: String
    private let files: [ImageFolder.File]
    private var position = 0

    /// The files of a split of `folder` (its `splits[i].files`, or a subset of them), in the
    /// order given.
    public init(folder: ImageFolder, files: [ImageFolder.File]) {
        root = folder.directory.path
        self.files = files
    }

    /// Files in the split.
    public var count: Int { files.count }

    /// The next file; never throws (nothing is read here).
    public func next() throws(FormatError) -> FolderEntry? {
        guard position < files.count else { return nil }
        let file = files[position]
        defer { position += 1 }
        return FolderEntry(
            index: position, path: root + "/" + file.relativePath, relativePath: file.relativePath,
            classIndex: file.classIndex)
    }

    /// Moves past up to `count` files without touching them.
    public func skip(_ count: Int) throws(FormatError) -> Int {
        let n = Swift.min(count, files.count - position)
        position += n
        return n
    }
}
