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
    public var classIndex: Int
}

/// The files of one split of an `ImageFolder`, one after another in bytewise path order.
/// Skipping is free: the files are a list.
public final class ImageFolderReader: FormatReader {
    public typealias Sample = FolderEntry

    private let root: String
    private let files: [ImageFolder.File]
    private var position = 0

    /// The files of `split` in `folder`.
    public init(folder: ImageFolder, files: [ImageFolder.File]) {
        root = folder.directory.path
        self.files = files
    }

    public var count: Int { files.count }

    public func next() throws(FormatError) -> FolderEntry? {
        guard position < files.count else { return nil }
        let file = files[position]
        defer { position += 1 }
        return FolderEntry(
            index: position, path: root + "/" + file.relativePath, relativePath: file.relativePath,
            classIndex: file.classIndex)
    }

    public func skip(_ count: Int) throws(FormatError) -> Int {
        let n = Swift.min(count, files.count - position)
        position += n
        return n
    }
}
