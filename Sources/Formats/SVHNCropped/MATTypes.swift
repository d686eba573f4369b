/// The byte order a MAT v5 file was written in, from the two characters at byte 126 of its
/// header: `IM` (the writer's 'MI' as a little-endian 16-bit value) or `MI` (big-endian).
enum MATByteOrder: Sendable {
    case little
    case big

    /// The 16-bit value at `bytes[at]`.
    func uint16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return self == .little ? UInt16(littleEndian: raw) : UInt16(bigEndian: raw)
    }

    /// The 32-bit value at `bytes[at]`.
    func uint32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return self == .little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }

    /// The 64-bit value at `bytes[at]`.
    func uint64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return self == .little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw)
    }

    /// The 32-bit value at `bytes[at]`, for an array (fixtures and tags are small).
    func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { uint32($0, at: offset) }
    }
}

/// The data types of MAT v5 data elements (the first field of every tag) that this reader knows.
enum MATDataType: UInt32, Sendable {
    case int8 = 1
    case uint8 = 2
    case int16 = 3
    case uint16 = 4
    case int32 = 5
    case uint32 = 6
    case single = 7
    case double = 9
    case int64 = 12
    case uint64 = 13
    /// A MATLAB array: flags, dimensions, name, then its data as further elements.
    case matrix = 14
    /// A zlib stream whose inflated bytes are one complete data element (usually a `matrix`).
    case compressed = 15
    case utf8 = 16

    /// Bytes per value for numeric types; `nil` for the others.
    var numericWidth: Int? {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .single: 4
        case .double, .int64, .uint64: 8
        case .matrix, .compressed, .utf8: nil
        }
    }

    /// The value at `bytes[at]` as a Double (exact for every integer a label can be).
    func number(_ bytes: UnsafeRawBufferPointer, at offset: Int, order: MATByteOrder) -> Double {
        switch self {
        case .int8: Double(Int8(bitPattern: bytes[offset]))
        case .uint8: Double(bytes[offset])
        case .int16: Double(Int16(bitPattern: order.uint16(bytes, at: offset)))
        case .uint16: Double(order.uint16(bytes, at: offset))
        case .int32: Double(Int32(bitPattern: order.uint32(bytes, at: offset)))
        case .uint32: Double(order.uint32(bytes, at: offset))
        case .single: Double(Float(bitPattern: order.uint32(bytes, at: offset)))
        case .double: Double(bitPattern: order.uint64(bytes, at: offset))
        case .int64: Double(Int64(bitPattern: order.uint64(bytes, at: offset)))
        case .uint64: Double(order.uint64(bytes, at: offset))
        case .matrix, .compressed, .utf8: .nan
        }
    }

    /// The name MATLAB's documentation uses, e.g. `miUINT8`.
    static func name(of raw: UInt32) -> String {
        let names: [UInt32: String] = [
            1: "miINT8", 2: "miUINT8", 3: "miINT16", 4: "miUINT16", 5: "miINT32", 6: "miUINT32", 7: "miSINGLE",
            9: "miDOUBLE", 12: "miINT64", 13: "miUINT64", 14: "miMATRIX", 15: "miCOMPRESSED", 16: "miUTF8",
            17: "miUTF16", 18: "miUTF32",
        ]
        return names[raw].map { "\($0) (\(raw))" } ?? "data type \(raw)"
    }
}

/// MATLAB array classes (the low byte of the array flags) that this reader tells apart.
enum MATArrayClass {
    static let uint8: UInt8 = 9
    /// Numeric classes run from double (6) to uint64 (15).
    static let numeric: ClosedRange<UInt8> = 6...15

    /// The name MATLAB's documentation uses, e.g. `mxUINT8_CLASS`.
    static func name(of raw: UInt8) -> String {
        let names = [
            1: "mxCELL_CLASS", 2: "mxSTRUCT_CLASS", 3: "mxOBJECT_CLASS", 4: "mxCHAR_CLASS", 5: "mxSPARSE_CLASS",
            6: "mxDOUBLE_CLASS", 7: "mxSINGLE_CLASS", 8: "mxINT8_CLASS", 9: "mxUINT8_CLASS", 10: "mxINT16_CLASS",
            11: "mxUINT16_CLASS", 12: "mxINT32_CLASS", 13: "mxUINT32_CLASS", 14: "mxINT64_CLASS",
            15: "mxUINT64_CLASS",
        ]
        return names[Int(raw)].map { "\($0) (\(raw))" } ?? "class \(raw)"
    }
}

/// A data element's tag: its type and byte count, and for the small format (1–4 bytes packed
/// into the tag's second word) the data themselves.
struct MATTag {
    /// The raw data type (see `MATDataType`).
    var type: UInt32
    /// Data bytes, without padding.
    var size: Int
    /// Small-format elements: the `size` data bytes held in the tag.
    var smallData: [UInt8]?
    /// Stream position of the tag.
    var position: Int

    var dataType: MATDataType? { MATDataType(rawValue: type) }
    /// Padding after the data of a normal-format element (data end on a multiple of 8).
    var padding: Int { smallData == nil ? (8 - size % 8) % 8 : 0 }
}
