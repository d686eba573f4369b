// Walks Feature messages and their lists, calling back for each value (internal). The full decoder
// and the zero-copy view share this walker, so they accept and reject exactly the same inputs.
//
// Protobuf semantics for `oneof kind`: a later occurrence of a different kind replaces the values
// seen so far; a later occurrence of the same kind merges (repeated values are appended).

/// Walks a BytesList message.
@inline(__always)
func walkBytesList(
    _ reader: inout WireReader, _ onBytes: (UnsafeRawBufferPointer) -> Void
) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        if tag.field == 1 {
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "BytesList", expected: "wire type 2 (bytes)")
            }
            let value = try reader.readLengthDelimited()
            onBytes(value.remainingBytes)
        } else {
            try reader.skip(wireType: tag.wireType)
        }
    }
}

/// Walks an Int64List message: packed (wire type 2) and unpacked (wire type 0) values, in any mix.
/// `onReserve` gets the number of values of a packed run before they are delivered.
@inline(__always)
func walkInt64List(
    _ reader: inout WireReader, _ onReserve: (Int) -> Void, _ onInt64: (Int64) -> Void
) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        if tag.field == 1 {
            switch tag.wireType {
            case 0:
                onInt64(Int64(bitPattern: try reader.readVarint()))
            case 2:
                var packed = try reader.readLengthDelimited()
                var terminators = 0
                for byte in packed.remainingBytes where byte < 0x80 { terminators += 1 }
                onReserve(terminators)
                while !packed.isAtEnd {
                    onInt64(Int64(bitPattern: try packed.readVarint()))
                }
            default:
                throw WireReader.wrongWireType(
                    tag, message: "Int64List", expected: "wire type 0 (varint) or 2 (packed)")
            }
        } else {
            try reader.skip(wireType: tag.wireType)
        }
    }
}

/// Walks a FloatList message: packed (wire type 2, a multiple of 4 bytes) and unpacked (wire type 5).
@inline(__always)
func walkFloatList(
    _ reader: inout WireReader, _ onReserve: (Int) -> Void, _ onFloat: (Float) -> Void
) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        if tag.field == 1 {
            switch tag.wireType {
            case 5:
                onFloat(Float(bitPattern: try reader.readFixed32()))
            case 2:
                let lengthOffset = reader.position
                var packed = try reader.readLengthDelimited()
                let length = packed.end - packed.position
                guard length % 4 == 0 else {
                    throw ExampleDecodingError(
                        .packedFloatLength, offset: lengthOffset, expected: "packed floats (a multiple of 4 bytes)",
                        found: "\(length) bytes")
                }
                onReserve(length / 4)
                while !packed.isAtEnd {
                    onFloat(Float(bitPattern: try packed.readFixed32()))
                }
            default:
                throw WireReader.wrongWireType(
                    tag, message: "FloatList", expected: "wire type 5 (fixed32) or 2 (packed)")
            }
        } else {
            try reader.skip(wireType: tag.wireType)
        }
    }
}

/// Walks a Feature message.
@inline(__always)
func walkFeature(
    _ reader: inout WireReader,
    begin: (FeatureKind) -> Void,
    reserve: (Int) -> Void,
    bytes: (UnsafeRawBufferPointer) -> Void,
    int64: (Int64) -> Void,
    float: (Float) -> Void
) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        switch tag.field {
        case 1:
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "Feature", expected: "wire type 2 (BytesList)")
            }
            var list = try reader.readLengthDelimited()
            begin(.bytes)
            try walkBytesList(&list, bytes)
        case 2:
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "Feature", expected: "wire type 2 (FloatList)")
            }
            var list = try reader.readLengthDelimited()
            begin(.float)
            try walkFloatList(&list, reserve, float)
        case 3:
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "Feature", expected: "wire type 2 (Int64List)")
            }
            var list = try reader.readLengthDelimited()
            begin(.int64)
            try walkInt64List(&list, reserve, int64)
        default:
            try reader.skip(wireType: tag.wireType)
        }
    }
}

/// Decodes a Feature message (or several, merged, when a map entry repeats its value) into a Feature.
struct FeatureAccumulator {
    var kind: FeatureKind? = nil
    var bytes: [[UInt8]] = []
    var floats: [Float] = []
    var ints: [Int64] = []

    mutating func merge(_ reader: inout WireReader) throws(ExampleDecodingError) {
        try walkFeature(
            &reader,
            begin: { kind in
                if self.kind != kind {
                    self.kind = kind
                    self.bytes.removeAll()
                    self.floats.removeAll()
                    self.ints.removeAll()
                }
            },
            reserve: { count in
                if self.kind == .int64 {
                    self.ints.reserveCapacity(self.ints.count + count)
                } else {
                    self.floats.reserveCapacity(self.floats.count + count)
                }
            },
            bytes: { self.bytes.append(Array($0)) },
            int64: { self.ints.append($0) },
            float: { self.floats.append($0) })
    }

    /// A Feature with no kind set becomes `.bytes([])`.
    var feature: Feature {
        switch kind {
        case nil, .bytes: .bytes(bytes)
        case .float: .float(floats)
        case .int64: .int64(ints)
        }
    }
}
