/// The fields of a `miMATRIX` element before its data: the array flags (class, complex), the
/// dimensions and the name, each a data element of its own.
struct MATArrayHeader {
    /// More dimensions than this is not an array we could use (MATLAB allows any number).
    static let maxDimensionCount = 32
    /// MATLAB names are at most 63 characters; other writers may be longer, not much.
    static let maxNameLength = 4096

    var name: String
    /// The class byte (`MATArrayClass`).
    var arrayClass: UInt8
    var isComplex: Bool
    var dimensions: [Int]
    /// Stream position of the dimensions' tag, for errors about them.
    var dimensionsPosition: Int

    /// Reads the header from a stream at an array element's tag; leaves the stream at the tag of
    /// the real part (the array's data). Sets `stream.end` and, once the name is read,
    /// `stream.subject`.
    static func read(from stream: MATElementStream) throws(FormatError) -> MATArrayHeader {
        let tag = try stream.readTag(what: "the array")
        guard tag.dataType == .matrix, tag.smallData == nil else {
            throw stream.error(
                .badRecord, at: tag.position, "the element does not hold a MATLAB array",
                expected: MATDataType.name(of: MATDataType.matrix.rawValue), found: MATDataType.name(of: tag.type))
        }
        stream.end = stream.position + tag.size

        let flagsTag = try stream.readTag(what: "the array flags")
        guard flagsTag.dataType == .uint32, flagsTag.size == 8, flagsTag.smallData == nil else {
            throw stream.error(
                .badRecord, at: flagsTag.position, "malformed array flags", expected: "miUINT32 (6), 8 bytes",
                found: "\(MATDataType.name(of: flagsTag.type)), \(flagsTag.size) bytes")
        }
        let flags = stream.order.uint32(try stream.read(count: 8, what: "the array flags"), at: 0)

        let dimensionsTag = try stream.readTag(what: "the dimensions")
        guard dimensionsTag.dataType == .int32, dimensionsTag.size % 4 == 0,
            (2...maxDimensionCount).contains(dimensionsTag.size / 4)
        else {
            throw stream.error(
                .badDimensions, at: dimensionsTag.position, "malformed dimensions",
                expected: "miINT32 (5), 2…\(maxDimensionCount) values",
                found: "\(MATDataType.name(of: dimensionsTag.type)), \(dimensionsTag.size) bytes")
        }
        let dimensionBytes = try stream.readData(
            of: dimensionsTag, what: "the dimensions", limit: 4 * maxDimensionCount)
        var dimensions: [Int] = []
        for d in 0..<(dimensionsTag.size / 4) {
            let value = Int(Int32(bitPattern: stream.order.uint32(dimensionBytes, at: 4 * d)))
            guard value >= 0 else {
                throw stream.error(
                    .badDimensions, at: dimensionsTag.position, "negative dimension", expected: "0 or more",
                    found: "\(value)")
            }
            dimensions.append(value)
        }

        let nameTag = try stream.readTag(what: "the array name")
        guard nameTag.dataType == .int8 || nameTag.dataType == .utf8 else {
            throw stream.error(
                .badRecord, at: nameTag.position, "malformed array name", expected: "miINT8 (1) characters",
                found: MATDataType.name(of: nameTag.type))
        }
        let nameBytes = try stream.readData(of: nameTag, what: "the array name", limit: maxNameLength)
        let name = String(decoding: nameBytes, as: UTF8.self)
        stream.subject = name.isEmpty ? "unnamed variable" : name

        return MATArrayHeader(
            name: name, arrayClass: UInt8(truncatingIfNeeded: flags), isComplex: flags & 0x800 != 0,
            dimensions: dimensions, dimensionsPosition: dimensionsTag.position)
    }

    /// `32×32×3×20`, as MATLAB's `size` would be written.
    var shapeText: String { dimensions.map(String.init).joined(separator: "×") }
}
