internal import ShardKitSupport
/// The header of an idx file: two zero bytes, an element-type byte (0x08 = unsigned byte), a
/// dimension-count byte, then one big-endian UInt32 per dimension.
struct IDXHeader {
    /// The dimensions, outermost (the record count) first.
    var dimensions: [Int]
    /// Bytes taken by the header: 4 + 4 × dimension count.
    var byteCount: Int { 4 + 4 * dimensions.count }

    static let imagesMagic: UInt32 = 0x0000_0803
    static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads and checks the header of an image file (`dimensionCount` 3) or a label file (1).
    static func read(from input: ByteInput, dimensionCount: Int) throws(FormatError) -> IDXHeader {
        let path = input.path
        let what = dimensionCount == 3 ? "image" : "label"
        let magicBytes = try input.read(count: 4)
        guard magicBytes.count == 4 else {
            throw FormatError(
                .truncated, path: path, offset: 0, "\(input.endPhrase) inside the idx header",
                expected: "4 bytes", found: "\(magicBytes.count)")
        }
        let magic = magicBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let wanted = dimensionCount == 3 ? imagesMagic : labelsMagic
        let other = dimensionCount == 3 ? labelsMagic : imagesMagic
        if magicBytes[0] != 0 || magicBytes[1] != 0 || magic == other {
            let note = magic == other ? " (this is an idx \(dimensionCount == 3 ? "label" : "image") file)" : ""
            throw FormatError(
                .badMagic, path: path, offset: 0, "not an idx \(what) file\(note)",
                expected: hex(wanted), found: hex(magic))
        }
        guard magicBytes[2] == 0x08 else {
            throw FormatError(
                .badType, path: path, offset: 2, "unsupported idx element type (only unsigned byte is used)",
                expected: "0x08", found: Hex.literal(magicBytes[2], digitCount: 2, uppercase: true))
        }
        guard Int(magicBytes[3]) == dimensionCount else {
            throw FormatError(
                .badDimensions, path: path, offset: 3, "wrong number of dimensions for an idx \(what) file",
                expected: "\(dimensionCount)", found: "\(magicBytes[3])")
        }
        let dimBytes = try input.read(count: 4 * dimensionCount)
        guard dimBytes.count == 4 * dimensionCount else {
            throw FormatError(
                .truncated, path: path, offset: 4, "\(input.endPhrase) inside the idx header",
                expected: "\(4 * dimensionCount) bytes of dimensions", found: "\(dimBytes.count)")
        }
        var dims: [Int] = []
        for d in 0..<dimensionCount {
            let value = dimBytes[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) }
            if d > 0 && (value == 0 || value > 1 << 14) {
                throw FormatError(
                    .badDimensions, path: path, offset: 4 + 4 * d, "implausible image dimension",
                    expected: "1…16384", found: "\(value)")
            }
            dims.append(value)
        }
        // Each dimension is plausible on its own, but 16384 × 16384 would be a 256 MiB record
        // allocated on the header's word alone (a gzip file's size says nothing in advance).
        if dimensionCount == 3 && dims[1] * dims[2] > maximumImagePixels {
            throw FormatError(
                .badDimensions, path: path, offset: 8, "image of \(dims[1])×\(dims[2]) pixels is larger than the limit",
                expected: "at most \(maximumImagePixels) pixels", found: "\(dims[1] * dims[2])")
        }
        return IDXHeader(dimensions: dims)
    }

    /// The largest image a header may declare: 2²⁴ pixels (4096 × 4096), far above any idx
    /// dataset (MNIST, Fashion-MNIST and EMNIST are 28 × 28).
    static let maximumImagePixels = 1 << 24

    private static func hex(_ value: UInt32) -> String { Hex.literal(value) + " (\(value))" }
}
