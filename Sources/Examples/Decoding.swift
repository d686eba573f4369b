// Decoding of Example, SequenceExample and Feature from their protobuf wire format.
// What is accepted and rejected is listed in formats/example.md.

/// Decodes the entries of a `map<string, V>` field (field 1 of `message`). On the wire each entry is
/// a nested message with the key as field 1 and the value as field 2; `decodeValue` merges one value
/// body into a `V` that starts as `empty`, and `store` receives each finished entry (so a later entry
/// for the same key replaces an earlier one). Other fields are skipped.
func decodeStringMap<V>(
    _ reader: inout WireReader, message: String, valueName: String, empty: V,
    decodeValue: (inout WireReader, inout V) throws(ExampleDecodingError) -> Void,
    store: (String, V) -> Void
) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        guard tag.field == 1 else {
            try reader.skip(wireType: tag.wireType)
            continue
        }
        guard tag.wireType == 2 else {
            throw WireReader.wrongWireType(tag, message: message, expected: "wire type 2 (map entry)")
        }
        var entry = try reader.readLengthDelimited()
        var key = ""
        var value = empty
        while !entry.isAtEnd {
            let entryTag = try entry.readTag()
            switch entryTag.field {
            case 1:
                guard entryTag.wireType == 2 else {
                    throw WireReader.wrongWireType(
                        entryTag, message: "\(message) map entry", expected: "wire type 2 (string key)")
                }
                key = try decodeKey(try entry.readLengthDelimited())
            case 2:
                guard entryTag.wireType == 2 else {
                    throw WireReader.wrongWireType(
                        entryTag, message: "\(message) map entry", expected: "wire type 2 (\(valueName))")
                }
                var valueReader = try entry.readLengthDelimited()
                try decodeValue(&valueReader, &value)
            default:
                try entry.skip(wireType: entryTag.wireType)
            }
        }
        store(key, value)
    }
}

/// Decodes a `Features` message body into `map`; a later entry for the same key replaces an earlier one.
func decodeFeatures(_ reader: inout WireReader, into map: inout [String: Feature]) throws(ExampleDecodingError) {
    try decodeStringMap(
        &reader, message: "Features", valueName: "Feature", empty: FeatureAccumulator(),
        decodeValue: { (valueReader, value) throws(ExampleDecodingError) in try value.merge(&valueReader) },
        store: { key, value in map[key] = value.feature })
}

/// Decodes a `FeatureList` message body, appending to `features`.
func decodeFeatureList(_ reader: inout WireReader, into features: inout [Feature]) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        if tag.field == 1 {
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "FeatureList", expected: "wire type 2 (Feature)")
            }
            var featureReader = try reader.readLengthDelimited()
            var value = FeatureAccumulator()
            try value.merge(&featureReader)
            features.append(value.feature)
        } else {
            try reader.skip(wireType: tag.wireType)
        }
    }
}

/// Decodes a `FeatureLists` message body into `map`.
func decodeFeatureLists(
    _ reader: inout WireReader, into map: inout [String: FeatureList]
) throws(ExampleDecodingError) {
    try decodeStringMap(
        &reader, message: "FeatureLists", valueName: "FeatureList", empty: [Feature](),
        decodeValue: { (valueReader, value) throws(ExampleDecodingError) in
            try decodeFeatureList(&valueReader, into: &value)
        },
        store: { key, value in map[key] = FeatureList(value) })
}

extension Example {
    /// Decodes a serialized `tf.train.Example`. The bytes are not retained.
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ExampleDecodingError) {
        var reader = WireReader(bytes)
        var map: [String: Feature] = [:]
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 1 {
                guard tag.wireType == 2 else {
                    throw WireReader.wrongWireType(tag, message: "Example", expected: "wire type 2 (Features)")
                }
                var sub = try reader.readLengthDelimited()
                try decodeFeatures(&sub, into: &map)
            } else {
                try reader.skip(wireType: tag.wireType)
            }
        }
        self.init(features: Features(map))
    }

    /// Decodes a serialized `tf.train.Example`.
    public init(serializedBytes bytes: [UInt8]) throws(ExampleDecodingError) {
        self = try Self.withBuffer(bytes) { buffer throws(ExampleDecodingError) in
            try Example(serializedBytes: buffer)
        }
    }

    /// Replaces this Example with the one decoded from `bytes` (for decoding loops that reuse a variable).
    public mutating func decode(from bytes: UnsafeRawBufferPointer) throws(ExampleDecodingError) {
        self = try Example(serializedBytes: bytes)
    }
}

extension SequenceExample {
    /// Decodes a serialized `tf.train.SequenceExample`. The bytes are not retained.
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ExampleDecodingError) {
        var reader = WireReader(bytes)
        var context: [String: Feature] = [:]
        var lists: [String: FeatureList] = [:]
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1:
                guard tag.wireType == 2 else {
                    throw WireReader.wrongWireType(
                        tag, message: "SequenceExample", expected: "wire type 2 (Features)")
                }
                var sub = try reader.readLengthDelimited()
                try decodeFeatures(&sub, into: &context)
            case 2:
                guard tag.wireType == 2 else {
                    throw WireReader.wrongWireType(
                        tag, message: "SequenceExample", expected: "wire type 2 (FeatureLists)")
                }
                var sub = try reader.readLengthDelimited()
                try decodeFeatureLists(&sub, into: &lists)
            default:
                try reader.skip(wireType: tag.wireType)
            }
        }
        self.init(context: Features(context), featureLists: FeatureLists(lists))
    }

    /// Decodes a serialized `tf.train.SequenceExample`.
    public init(serializedBytes bytes: [UInt8]) throws(ExampleDecodingError) {
        self = try Example.withBuffer(bytes) { buffer throws(ExampleDecodingError) in
            try SequenceExample(serializedBytes: buffer)
        }
    }
}

extension Feature {
    /// Decodes one serialized `tf.train.Feature` message.
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ExampleDecodingError) {
        var reader = WireReader(bytes)
        var value = FeatureAccumulator()
        try value.merge(&reader)
        self = value.feature
    }

    /// Decodes one serialized `tf.train.Feature` message.
    public init(serializedBytes bytes: [UInt8]) throws(ExampleDecodingError) {
        self = try Example.withBuffer(bytes) { buffer throws(ExampleDecodingError) in
            try Feature(serializedBytes: buffer)
        }
    }
}

extension Example {
    /// Runs `body` over the bytes of an array with typed throws.
    static func withBuffer<T>(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ExampleDecodingError) -> T
    ) throws(ExampleDecodingError) -> T {
        let result: Result<T, ExampleDecodingError> = bytes.withUnsafeBytes { buffer in
            do throws(ExampleDecodingError) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
