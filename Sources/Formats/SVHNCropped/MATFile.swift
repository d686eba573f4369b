internal import ShardKitSupport

/// A MAT v5 file (MATLAB's `-v6` and `-v7` layouts) opened for streaming: the 128-byte header
/// checked, and the wanted variables located by walking the top-level data elements by their
/// byte counts, never reading a variable's data. Variables are then read with `open(_:)`, each
/// through a stream of its own over the same file descriptor.
final class MATFile {
    /// The header: 116 bytes of text, 8 of subsystem offset, version, byte-order mark.
    static let headerSize = 128
    /// What a v7.3 file (HDF5 with a MAT header, as SVHN's format 1 `digitStruct.mat`) is told.
    static let versionSevenThree =
        "a MATLAB v7.3 (HDF5) file, not MAT v5; re-save it in MATLAB with save(file, 'X', 'y', '-v7')"

    /// Where one variable's element is.
    struct Variable {
        var header: MATArrayHeader
        /// File offset of the element's tag.
        var elementOffset: Int
        /// The tag's byte count (compressed bytes for `miCOMPRESSED`).
        var elementSize: Int
        var isCompressed: Bool
        let path: String

        /// Where errors about the variable point.
        var place: MATPlace { MATPlace(path: path, elementOffset: elementOffset, isCompressed: isCompressed) }

        /// An error about the variable's header fields (class, dimensions): at its dimensions.
        func headerError(
            _ kind: FormatError.Kind, _ message: String, expected: String, found: String
        ) -> FormatError {
            place.error(
                kind, at: header.dimensionsPosition, about: header.name, message, expected: expected, found: found)
        }
    }

    let path: String
    let size: Int
    let order: MATByteOrder
    /// The wanted variables that are in the file, by name.
    private(set) var variables: [String: Variable] = [:]
    /// The names of up to `listedNameLimit` other variables, for error messages.
    private(set) var otherNames: [String] = []
    private static let listedNameLimit = 8
    private let file: FileSource

    /// Opens `path`, checks its header and walks its elements until every name in `wanted` is
    /// found or the file ends.
    init(path: String, wanted: Set<String>) throws(FormatError) {
        self.path = path
        file = try FileSource(path: path)
        guard let size = file.knownSize else {
            throw FormatError(.io, path: path, "not a regular file (a MAT-file is read by seeking)")
        }
        self.size = size
        order = try Self.readHeader(file, path: path, size: size)
        var offset = Self.headerSize
        while offset < size && variables.count < wanted.count {
            let variable = try locate(at: offset)
            let name = variable.header.name
            if wanted.contains(name) {
                guard variables[name] == nil else {
                    throw FormatError(
                        .badRecord, path: path, offset: offset, "second variable named \(name)",
                        expected: "one", found: "another at byte \(variables[name]!.elementOffset)")
                }
                variables[name] = variable
            } else if otherNames.count < Self.listedNameLimit {
                otherNames.append(name)
            }
            offset += 8 + variable.elementSize
        }
    }

    /// A stream over `variable`'s element, past its header: at the tag of its real part.
    func open(_ variable: Variable, bufferSize: Int = 1 << 16) throws(FormatError) -> MATElementStream {
        let stream = try MATElementStream(
            file: file, path: path, order: order, elementOffset: variable.elementOffset,
            elementSize: variable.elementSize, isCompressed: variable.isCompressed, bufferSize: bufferSize)
        _ = try MATArrayHeader.read(from: stream)
        return stream
    }

    /// The `miMATRIX` or `miCOMPRESSED` element at `offset`: its array header read (inflating
    /// only the first bytes of a compressed one), and its byte count checked against the file's size.
    private func locate(at offset: Int) throws(FormatError) -> Variable {
        let left = size - offset
        guard left >= 8 else {
            throw FormatError(
                .truncated, path: path, offset: offset, "file ends inside a data element's tag",
                expected: "8 bytes", found: "\(left)")
        }
        let tag = try Self.read(file, path: path, count: 8, at: offset)
        let type = order.uint32(tag, at: 0)
        let count = Int(order.uint32(tag, at: 4))
        guard type == MATDataType.matrix.rawValue || type == MATDataType.compressed.rawValue else {
            throw FormatError(
                .badRecord, path: path, offset: offset, "top-level data element is not a variable",
                expected: "miMATRIX (14) or miCOMPRESSED (15)", found: MATDataType.name(of: type))
        }
        // The header is read from what the file holds, so a cut element is named by its variable.
        let isCompressed = type == MATDataType.compressed.rawValue
        let stream = try MATElementStream(
            file: file, path: path, order: order, elementOffset: offset, elementSize: min(count, left - 8),
            isCompressed: isCompressed, bufferSize: 4096)
        let header = try MATArrayHeader.read(from: stream)
        guard count <= left - 8 else {
            throw FormatError(
                .truncated, path: path, offset: offset,
                "\(stream.subject): file ends inside the variable's data element",
                expected: "\(count) bytes after the tag", found: "\(left - 8)")
        }
        return Variable(
            header: header, elementOffset: offset, elementSize: count, isCompressed: isCompressed, path: path)
    }

    /// Checks the 128-byte header and returns the byte order it announces.
    private static func readHeader(_ file: FileSource, path: String, size: Int) throws(FormatError) -> MATByteOrder {
        guard size >= headerSize else {
            throw FormatError(
                .truncated, path: path, offset: 0, "file ends inside the MAT-file header",
                expected: "\(headerSize) bytes", found: "\(size)")
        }
        let header = try read(file, path: path, count: headerSize, at: 0)
        let text = String(decoding: header[0..<116], as: UTF8.self)
        let order: MATByteOrder
        switch (header[126], header[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): order = .little
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): order = .big
        default:
            throw FormatError(
                .badMagic, path: path, offset: 126,
                text.hasPrefix("MATLAB 7.3") || text.hasPrefix("\u{89}HDF")
                    ? versionSevenThree
                    : "not a MAT-file (no byte-order mark)",
                expected: "\"IM\" or \"MI\"", found: Self.quoted(header[126..<128]))
        }
        let version = header.withUnsafeBytes { order.uint16($0, at: 124) }
        guard version == 0x0100 else {
            throw FormatError(
                .badMagic, path: path, offset: 124,
                version == 0x0200
                    ? versionSevenThree
                    : "unsupported MAT-file version",
                expected: "0x0100 (level 5)", found: Hex.literal(version, digitCount: 4))
        }
        guard text.hasPrefix("MATLAB") else {
            throw FormatError(
                .badMagic, path: path, offset: 0, "not a MAT-file (the header text does not start with MATLAB)",
                expected: "\"MATLAB 5.0 MAT-file…\"", found: Self.quoted(header[0..<16]))
        }
        return order
    }

    /// `count` bytes at file `offset`; the caller has checked that the file holds them.
    private static func read(_ file: FileSource, path: String, count: Int, at offset: Int) throws(FormatError)
        -> [UInt8]
    {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try typed {
                try bytes.withUnsafeMutableBytes {
                    try file.fill(UnsafeMutableRawBufferPointer(rebasing: $0[filled...]), at: offset + filled)
                }
            }
            guard n > 0 else {
                throw FormatError(
                    .truncated, path: path, offset: offset + filled, "file ends early", expected: "\(count) bytes",
                    found: "\(filled)")
            }
            filled += n
        }
        return bytes
    }

    /// Printable ASCII as is, anything else as `\xNN`, in quotes.
    private static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        var text = "\""
        for byte in bytes {
            if (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\"") {
                text.append(Character(Unicode.Scalar(byte)))
            } else {
                text += "\\x" + Hex.string([byte])
            }
        }
        return text + "\""
    }
}
