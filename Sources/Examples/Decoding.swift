// Decoding of Example, SequenceExample and Feature from their protobuf wire format.
// What is accepted and rejected is listed in formats/example.md.

/// Decodes a `Features` message body into `map`; a later entry for the same key replaces an earlier one.
func decodeFeatures(_ reader: inout WireReader, into map: inout [String: Feature]) throws(ExampleDecodingError) {
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        if tag.field == 1 {
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "Features", expected: "wire type 2 (map entry)")
            }
            var entry = try reader.readLengthDelimited()
            var key = ""
            var value = FeatureAccumulator()
            while !entry.isAtEnd {
                let entryTag = try entry.readTag()
                switch entryTag.field {
                case 1:
                    guard entryTag.wireType == 2 else {
                        throw WireReader.wrongWireType(
                            entryTag, message: "Features map entry", expected: "wire type 2 (string key)")
                    }
                    let keyReader = try entry.readLengthDelimited()
                    key = try decodeKey(keyReader)
                case 2:
                    guard entryTag.wireType == 2 else {
                        throw WireReader.wrongWireType(
                            entryTag, message: "Features map entry", expected: "wire type 2 (Feature)")
                    }
                    var featureReader = try entry.readLengthDelimited()
                    try value.merge(&featureReader)
                default:
                    try entry.skip(wireType: entryTag.wireType)
                }
            }
            map[key] = value.feature
        } else {
            try reader.skip(wireType: tag.wireType)
        }
    }
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
    while !reader.isAtEnd {
        let tag = try reader.readTag()
        if tag.field == 1 {
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "FeatureLists", expected: "wire type 2 (map entry)")
            }
            var entry = try reader.readLengthDelimited()
            var key = ""
            var value: [Feature] = []
            while !entry.isAtEnd {
                let entryTag = try entry.readTag()
                switch entryTag.field {
                case 1:
                    guard entryTag.wireType == 2 else {
                        throw WireReader.wrongWireType(
                            entryTag, message: "FeatureLists map entry", expected: "wire type 2 (string key)")
                    }
                    let keyReader = try entry.readLengthDelimited()
                    key = try decodeKey(keyReader)
                case 2:
                    guard entryTag.wireType == 2 else {
                        throw WireReader.wrongWireType(
                            entryTag, message: "FeatureLists map entry", expected: "wire type 2 (FeatureList)")
                    }
                    var listReader = try entry.readLengthDelimited()
                    try decodeFeatureList(&listReader, into: &value)
                default:
                    try entry.skip(wireType: entryTag.wireType)
                }
            }
            map[key] = FeatureList(value)
        } else {
            try reader.skip(wireType: tag.wireType)
        }
    }
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
