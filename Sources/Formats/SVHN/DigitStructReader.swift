internal import CShardKitHDF5
internal import CShardKitIsolation
public import Foundation
internal import Glibc
internal import ShardKitSupport

/// One digit's bounding box from SVHN's `digitStruct.mat`, in pixels of the full image.
public struct DigitBox: Sendable, Equatable {
    /// The label as stored: 1–9 for those digits, 10 for the digit 0.
    public var label: Int
    /// Column of the box's left edge; may be negative (real boxes have `left = -1`).
    public var left: Double
    /// Row of the box's top edge.
    public var top: Double
    /// Width of the box in pixels.
    public var width: Double
    /// Height of the box in pixels.
    public var height: Double

    /// A box as `digitStruct` stores one (label 10 for the digit 0).
    public init(label: Int, left: Double, top: Double, width: Double, height: Double) {
        self.label = label
        self.left = left
        self.top = top
        self.width = width
        self.height = height
    }

    /// The digit 0–9 (label 10 → 0).
    public var digit: Int { label == 10 ? 0 : label }
}

/// One entry of `digitStruct`: an image file name and its digit boxes, left to right as stored.
public struct DigitStructEntry: Sendable, Equatable {
    /// Zero-based position in `/digitStruct/name` and `/digitStruct/bbox`.
    public var index: Int
    /// The PNG's file name, e.g. "1.png".
    public var name: String
    /// The digits' boxes, left to right as stored (one per digit).
    public var boxes: [DigitBox]

    init(index: Int, name: String, boxes: [DigitBox]) {
        self.index = index
        self.name = name
        self.boxes = boxes
    }
}

/// Streams SVHN format 1's `digitStruct.mat` (MATLAB v7.3, i.e. HDF5 behind a 512-byte user
/// block) through libhdf5, one entry at a time.
///
/// `/digitStruct/name` and `/digitStruct/bbox` are arrays of object references. A name refers to
/// a uint16 character array; a bbox refers to a group with datasets `label`, `left`, `top`,
/// `width`, `height`, each either the value itself (1×1 float64, one-digit images) or an n×1
/// array of references to 1×1 float64 datasets (several digits). Both forms are read.
/// Errors name the file and the entry (HDF5 has no useful byte offsets, so `offset` is `nil`).
///
/// libhdf5 does not survive every crafted file (it can crash, or ask for terabytes): the file is
/// parsed in a child process (`DigitStructParser` behind `IsolatedHDF5Child`) that sends the
/// entries back over a pipe, so a crash or a hang there becomes a `FormatError` here. See
/// formats/svhn-digitstruct.md.
public final class DigitStructReader: FormatReader {
    /// A reader yields `DigitStructEntry`s.
    public typealias Sample = DigitStructEntry

    /// Entries in the file.
    public let count: Int
    /// Where the file came from (a file on disk, or an entry's name inside an archive).
    let url: URL
    private let path: String
    /// The file's bytes when it came out of an archive (libhdf5 opens them as a file image in the
    /// child); nil for a file on disk, which the child opens by path.
    private let image: [UInt8]?
    /// The child processes walking the file: entry `i` comes from `children[i % children.count]`.
    private var children: [IsolatedHDF5Child]
    private var index = 0
    private var finished = false

    /// Opens the digitStruct.mat at `url` on disk.
    public convenience init(url: URL, walkers: Int = 1) throws(FormatError) {
        try self.init(input: InputFile(disk: url), walkers: walkers)
    }

    /// Opens `input`: from disk by path (hashed afterwards when it carries `InputDigests`), or
    /// from an archive, read out of the stream whole and handed to the child as an in-memory file
    /// image (libhdf5 needs random access; the image costs the file's size once).
    ///
    /// `walkers` child processes walk the file side by side, each taking every `walkers`-th entry
    /// (libhdf5 opens about twenty objects an entry, ~200 µs, so one walker alone was the longest
    /// serial stretch of a conversion on two cores). Entries still come out in file order, and
    /// the first error in that order is the one thrown, whichever walker met it.
    public init(input: InputFile, walkers: Int = 1) throws(FormatError) {
        url = input.url
        path = input.path
        if input.archive != nil {
            image = try input.contents()
        } else {
            guard FileManager.default.fileExists(atPath: input.path) else {
                throw FormatError(.missingFile, path: input.path, "cannot open: No such file or directory")
            }
            image = nil
            input.digests?.register(input.path)
        }
        self.walkers = Swift.max(1, walkers)
        (children, count) = try Self.start(path: path, image: image, walkers: self.walkers)
    }

    private let walkers: Int

    /// `walkers` child processes that each parse the file and stream back their share of its
    /// entries (walker `w`: entries `w`, `w + walkers`, …), and the entry count.
    private static func start(path: String, image: [UInt8]?, walkers: Int) throws(FormatError) -> (
        [IsolatedHDF5Child], Int
    ) {
        // A file image reaches the children through one in-memory file that they all read.
        var imageFile: Int32? = nil
        defer { if let imageFile { close(imageFile) } }
        if let image {
            imageFile = try memoryFile(holding: image, path: path)
        }
        var children: [IsolatedHDF5Child] = []
        for walker in 0..<walkers {
            children.append(
                try IsolatedHDF5Child(
                    path: path, job: .digitStructWalk(walker: walker, walkers: walkers, fromImage: image != nil),
                    input: imageFile))
        }
        // Every walker parsed the same file; the first one's count (or error) stands for all.
        var count = 0
        for (walker, child) in children.enumerated() {
            let counted = try child.receiveCount()
            if walker == 0 { count = counted } else if counted != count { throw child.disagreement(count, counted) }
        }
        return (children, count)
    }

    /// A child's work (`IsolatedHDF5Child.Job.digitStructWalk`): parses the file and sends the
    /// entry count, then entries `walker`, `walker + walkers`, …, or the first error met.
    static func walk(
        path: String, image: [UInt8]?, walker: Int, walkers: Int, to channel: IsolatedHDF5Child.ChildChannel
    ) {
        do throws(FormatError) {
            let parser = try withHDF5 { () throws(FormatError) in try DigitStructParser(path: path, image: image) }
            channel.sendCount(parser.count)
            for i in stride(from: walker, to: parser.count, by: walkers) {
                channel.send(try withHDF5 { () throws(FormatError) in try parser.readEntry(i) })
            }
        } catch {
            channel.send(error)
        }
    }

    /// An anonymous in-memory file with `bytes` in it, for the children to read.
    private static func memoryFile(holding bytes: [UInt8], path: String) throws(FormatError) -> Int32 {
        let fd = shardkit_memory_file("digitStruct.mat")
        guard fd >= 0 else {
            throw FormatError(
                .io, path: path, "cannot hold the file image: memfd_create: \(String(cString: strerror(errno)))")
        }
        let failure = bytes.withUnsafeBytes { raw -> SystemCallError? in
            guard let base = raw.baseAddress else { return nil }
            do throws(SystemCallError) { try writeAll(fd, base, count: raw.count) } catch { return error }
            return nil
        }
        if let failure {
            close(fd)
            throw FormatError(.io, path: path, "cannot hold the file image: \(failure.operation): \(failure.reason)")
        }
        return fd
    }

    /// Starts again at entry 0, with new walkers over the same file or image (no second read of
    /// an archive); a reader that has not handed out an entry yet is already there.
    public func restart() throws(FormatError) {
        guard index > 0 || finished else { return }
        (children, _) = try Self.start(path: path, image: image, walkers: walkers)
        index = 0
        finished = false
    }

    /// The most entries a file may declare: 2²⁴ (SVHN's largest split, `extra`, has 202,353).
    /// Entries are read one at a time, so this bounds the work, and keeps the count in range.
    static let maximumEntries = 1 << 24

    /// The next entry, or nil after the last. Throws what the child process reports about the
    /// entry (`.missingEntry`, `.badRecord`, …) or `.decode` when the child dies or stops answering.
    public func next() throws(FormatError) -> DigitStructEntry? {
        guard !finished else { return nil }
        do {
            guard index < count else {
                finished = true
                for child in children { try child.receiveEnd() }
                return nil
            }
            let entry = try children[index % children.count].receiveEntry(record: index)
            index += 1
            return entry
        } catch {
            finished = true
            throw error
        }
    }
}

/// The libhdf5 side of `DigitStructReader`, run in its child process. Callers hold `hdf5Lock`.
final class DigitStructParser {
    let count: Int
    private let path: String
    private let file: HDF5File
    private let names: H5Handle
    private let bboxes: H5Handle
    private let namesShape: [Int]
    private let bboxShape: [Int]

    init(path: String, image: [UInt8]? = nil) throws(FormatError) {
        self.path = path
        if let image {
            file = try HDF5File(image: image, path: path)
        } else {
            file = try HDF5File(path: path)
        }
        guard file.exists("/digitStruct") else {
            throw FormatError(
                .missingEntry, path: path, "no /digitStruct group (not an SVHN format-1 digitStruct.mat)",
                expected: "/digitStruct with name and bbox")
        }
        let group = H5Handle(H5Gopen2(file.file.id, "/digitStruct", shardkit_h5p_default()), .group)
        guard let group else {
            throw FormatError(.missingEntry, path: path, "/digitStruct is not a group: \(hdf5Message())")
        }
        names = try file.openDataset(group, "name", what: "/digitStruct/name")
        bboxes = try file.openDataset(group, "bbox", what: "/digitStruct/bbox")
        for (ds, what) in [(names, "/digitStruct/name"), (bboxes, "/digitStruct/bbox")]
        where file.typeClass(ds) != H5T_REFERENCE {
            throw FormatError(
                .badRecord, path: path, "\(what) is not an array of object references",
                expected: "object references")
        }
        namesShape = try file.shape(names, what: "/digitStruct/name", record: nil)
        bboxShape = try file.shape(bboxes, what: "/digitStruct/bbox", record: nil)
        count = try file.elementCount(
            namesShape, limit: DigitStructReader.maximumEntries, what: "/digitStruct/name", record: nil)
        let boxCount = try file.elementCount(
            bboxShape, limit: DigitStructReader.maximumEntries, what: "/digitStruct/bbox", record: nil)
        guard boxCount == count else {
            throw FormatError(
                .countMismatch, path: path, "/digitStruct/bbox and /digitStruct/name differ in length",
                expected: "\(count) (names)", found: "\(boxCount) (boxes)")
        }
    }

    func readEntry(_ i: Int) throws(FormatError) -> DigitStructEntry {
        // Name: a uint16 character array (MATLAB 'char').
        let nameRef = try file.reference(names, at: i, shape: namesShape, what: "/digitStruct/name[\(i)]", record: i)
        let nameSet = try file.dereference(
            nameRef, from: names, expecting: H5I_DATASET, what: "/digitStruct/name[\(i)]", record: i)
        let length = try file.elementCount(
            try file.shape(nameSet, what: "name", record: i), limit: 4095, what: "name", record: i)
        guard length > 0 else {
            throw FormatError(
                .badRecord, path: path, record: i, "implausible name length", expected: "1…4095",
                found: "\(length)")
        }
        let codes: [UInt16] = try file.readAll(
            nameSet, as: shardkit_h5t_native_ushort(), count: length, what: "name", record: i)
        let name = String(decoding: codes, as: UTF16.self)

        // Boxes: a group with five fields, inline values or references to 1×1 datasets.
        let boxRef = try file.reference(bboxes, at: i, shape: bboxShape, what: "/digitStruct/bbox[\(i)]", record: i)
        let group = try file.dereference(
            boxRef, from: bboxes, expecting: H5I_GROUP, what: "/digitStruct/bbox[\(i)]", record: i)
        var fields: [[Double]] = []
        for field in ["label", "left", "top", "width", "height"] {
            fields.append(try readField(group, field, record: i))
        }
        let n = fields[0].count
        for (field, values) in zip(["left", "top", "width", "height"], fields.dropFirst()) where values.count != n {
            throw FormatError(
                .countMismatch, path: path, record: i, "bbox field '\(field)' has a different digit count",
                expected: "\(n) (as 'label')", found: "\(values.count)")
        }
        guard n > 0 else {
            throw FormatError(.badRecord, path: path, record: i, "image '\(name)' has no digit boxes")
        }
        var boxes: [DigitBox] = []
        for d in 0..<n {
            let label = fields[0][d]
            guard label == label.rounded(), label >= 1, label <= 10 else {
                throw FormatError(
                    .badRecord, path: path, record: i, "digit \(d) of '\(name)': label out of range",
                    expected: "1…10", found: "\(label)")
            }
            boxes.append(
                DigitBox(
                    label: Int(label), left: fields[1][d], top: fields[2][d], width: fields[3][d],
                    height: fields[4][d]))
        }
        return DigitStructEntry(index: i, name: name, boxes: boxes)
    }

    private func readField(_ group: H5Handle, _ field: String, record: Int) throws(FormatError) -> [Double] {
        let what = "bbox field '\(field)'"
        let dataset = try file.openDataset(group, field, what: what, record: record)
        let count = try file.elementCount(
            try file.shape(dataset, what: what, record: record), limit: 999, what: what, record: record)
        switch file.typeClass(dataset) {
        case H5T_REFERENCE:
            let refs = try file.readReferences(dataset, count: count, what: what, record: record)
            var values: [Double] = []
            for ref in refs {
                let value = try file.dereference(ref, from: dataset, expecting: H5I_DATASET, what: what, record: record)
                let n = try file.elementCount(
                    try file.shape(value, what: what, record: record), limit: .max, what: what, record: record)
                guard n == 1 else {
                    throw FormatError(
                        .badRecord, path: path, record: record, "\(what) refers to a non-scalar value",
                        expected: "1×1", found: "\(n) values")
                }
                let v: [Double] = try file.readAll(
                    value, as: shardkit_h5t_native_double(), count: 1, what: what, record: record)
                values.append(v[0])
            }
            return values
        case H5T_FLOAT, H5T_INTEGER:
            return try file.readAll(dataset, as: shardkit_h5t_native_double(), count: count, what: what, record: record)
        default:
            throw FormatError(
                .badRecord, path: path, record: record, "\(what) has an unexpected type",
                expected: "float64 or object references")
        }
    }
}
