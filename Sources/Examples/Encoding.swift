// Deterministic encoding: sizes are computed first, then every byte is appended once to the caller's
// buffer (no nested temporary buffers). Map entries are written in byte-wise UTF-8 order of their keys;
// int64 and float lists are packed; an empty list is an empty list message.

internal import ShardKitSupport

extension Feature {
    /// Size of the list message (BytesList / FloatList / Int64List) body.
    @inline(__always)
    var listBodySize: Int {
        switch self {
        case .bytes(let values):
            var size = 0
            for value in values { size += fieldSize(payload: value.count) }
            return size
        case .float(let values):
            return values.isEmpty ? 0 : fieldSize(payload: 4 * values.count)
        case .int64(let values):
            if values.isEmpty { return 0 }
            return fieldSize(payload: packedInt64Size(values))
        }
    }

    /// Size of the Feature message body: one field holding the list message.
    @inline(__always)
    var messageSize: Int { fieldSize(payload: listBodySize) }

    /// Appends the Feature message body, whose list body is `listSize` bytes long.
    @inline(__always)
    func writeMessage(listSize: Int, into buffer: inout [UInt8]) {
        switch self {
        case .bytes(let values):
            buffer.append(Tag.field1LengthDelimited)
            buffer.appendVarint(listSize)
            for value in values {
                buffer.append(Tag.field1LengthDelimited)
                buffer.appendVarint(value.count)
                buffer.append(contentsOf: value)
            }
        case .float(let values):
            buffer.append(Tag.field2LengthDelimited)
            buffer.appendVarint(listSize)
            if values.isEmpty { return }
            buffer.append(Tag.field1LengthDelimited)
            buffer.appendVarint(4 * values.count)
            #if _endian(little)
                values.withUnsafeBytes { buffer.append(contentsOf: $0) }
            #else
                for value in values {
                    let bits = value.bitPattern
                    buffer.append(UInt8(truncatingIfNeeded: bits))
                    buffer.append(UInt8(truncatingIfNeeded: bits >> 8))
                    buffer.append(UInt8(truncatingIfNeeded: bits >> 16))
                    buffer.append(UInt8(truncatingIfNeeded: bits >> 24))
                }
            #endif
        case .int64(let values):
            buffer.append(Tag.field3LengthDelimited)
            buffer.appendVarint(listSize)
            if values.isEmpty { return }
            buffer.append(Tag.field1LengthDelimited)
            buffer.appendVarint(packedInt64Size(values))
            for value in values { buffer.appendVarint(UInt64(bitPattern: value)) }
        }
    }

    /// The serialized `tf.train.Feature` message.
    public func serialized() -> [UInt8] {
        var buffer: [UInt8] = []
        serialize(into: &buffer)
        return buffer
    }

    /// Appends the serialized `tf.train.Feature` message to `buffer`.
    public func serialize(into buffer: inout [UInt8]) {
        let listSize = listBodySize
        buffer.reserveAdditional(fieldSize(payload: listSize))
        writeMessage(listSize: listSize, into: &buffer)
    }
}

extension Array where Element == UInt8 {
    /// Makes room for `count` more bytes, growing geometrically so that appending many records to one
    /// buffer stays linear (a plain `reserveCapacity(count + n)` would reallocate on every record).
    @inline(__always)
    mutating func reserveAdditional(_ count: Int) {
        let needed = self.count + count
        if capacity < needed { reserveCapacity(Swift.max(needed, 2 * capacity)) }
    }
}

@inline(__always)
func packedInt64Size(_ values: [Int64]) -> Int {
    var size = 0
    for value in values { size += varintSize(UInt64(bitPattern: value)) }
    return size
}

/// Calls `body` with the dictionary's indices sorted by the UTF-8 bytes of their keys, without a heap
/// allocation for small maps.
@inline(__always)
func withSortedIndices<Value, R>(
    _ map: [String: Value], _ body: (UnsafeMutableBufferPointer<Dictionary<String, Value>.Index>) -> R
) -> R {
    withUnsafeTemporaryAllocation(of: Dictionary<String, Value>.Index.self, capacity: map.count) { buffer in
        var indices = buffer
        var index = map.startIndex
        var i = 0
        while index != map.endIndex {
            indices.initializeElement(at: i, to: index)
            map.formIndex(after: &index)
            i += 1
        }
        if map.count > 1 {
            indices.sort { map[$0].key.utf8.lexicographicallyPrecedes(map[$1].key.utf8) }
        }
        let result = body(indices)
        _ = indices.deinitialize()
        return result
    }
}

extension Features {
    /// Size of the Features message body.
    var messageSize: Int {
        var size = 0
        for (key, value) in feature {
            let keyCount = key.utf8.count
            size += fieldSize(payload: fieldSize(payload: keyCount) + fieldSize(payload: value.messageSize))
        }
        return size
    }

    /// Appends the Features message body (map entries in key order).
    func writeMessage(into buffer: inout [UInt8]) {
        withSortedIndices(feature) { indices in
            for index in indices {
                let (key, value) = feature[index]
                let keyCount = key.utf8.count
                let listSize = value.listBodySize
                let featureSize = fieldSize(payload: listSize)
                buffer.append(Tag.field1LengthDelimited)
                buffer.appendVarint(fieldSize(payload: keyCount) + fieldSize(payload: featureSize))
                buffer.append(Tag.field1LengthDelimited)
                buffer.appendVarint(keyCount)
                buffer.append(contentsOf: key.utf8)
                buffer.append(Tag.field2LengthDelimited)
                buffer.appendVarint(featureSize)
                value.writeMessage(listSize: listSize, into: &buffer)
            }
        }
    }
}

extension Example {
    /// Exact size of ``serialized()``.
    public var serializedSize: Int { fieldSize(payload: features.messageSize) }

    /// The serialized `tf.train.Example` (deterministic: keys in byte-wise UTF-8 order).
    public func serialized() -> [UInt8] {
        var buffer: [UInt8] = []
        serialize(into: &buffer)
        return buffer
    }

    /// Appends the serialized `tf.train.Example` to `buffer`; reuse one buffer (`removeAll(keepingCapacity:
    /// true)`) across records to avoid allocations. The `features` field is always written, also when empty.
    public func serialize(into buffer: inout [UInt8]) {
        let bodySize = features.messageSize
        buffer.reserveAdditional(fieldSize(payload: bodySize))
        buffer.append(Tag.field1LengthDelimited)
        buffer.appendVarint(bodySize)
        features.writeMessage(into: &buffer)
    }
}

extension FeatureList {
    var messageSize: Int {
        var size = 0
        for value in feature { size += fieldSize(payload: value.messageSize) }
        return size
    }

    func writeMessage(into buffer: inout [UInt8]) {
        for value in feature {
            let listSize = value.listBodySize
            buffer.append(Tag.field1LengthDelimited)
            buffer.appendVarint(fieldSize(payload: listSize))
            value.writeMessage(listSize: listSize, into: &buffer)
        }
    }
}

extension FeatureLists {
    var messageSize: Int {
        var size = 0
        for (key, value) in featureList {
            size += fieldSize(payload: fieldSize(payload: key.utf8.count) + fieldSize(payload: value.messageSize))
        }
        return size
    }

    func writeMessage(into buffer: inout [UInt8]) {
        withSortedIndices(featureList) { indices in
            for index in indices {
                let (key, value) = featureList[index]
                let keyCount = key.utf8.count
                let listSize = value.messageSize
                buffer.append(Tag.field1LengthDelimited)
                buffer.appendVarint(fieldSize(payload: keyCount) + fieldSize(payload: listSize))
                buffer.append(Tag.field1LengthDelimited)
                buffer.appendVarint(keyCount)
                buffer.append(contentsOf: key.utf8)
                buffer.append(Tag.field2LengthDelimited)
                buffer.appendVarint(listSize)
                value.writeMessage(into: &buffer)
            }
        }
    }
}

extension SequenceExample {
    /// Exact size of ``serialized()``.
    public var serializedSize: Int {
        fieldSize(payload: context.messageSize) + fieldSize(payload: featureLists.messageSize)
    }

    /// The serialized `tf.train.SequenceExample` (deterministic).
    public func serialized() -> [UInt8] {
        var buffer: [UInt8] = []
        serialize(into: &buffer)
        return buffer
    }

    /// Appends the serialized `tf.train.SequenceExample` to `buffer`. Both `context` and `feature_lists`
    /// are always written, also when empty.
    public func serialize(into buffer: inout [UInt8]) {
        let contextSize = context.messageSize
        let listsSize = featureLists.messageSize
        buffer.reserveAdditional(fieldSize(payload: contextSize) + fieldSize(payload: listsSize))
        buffer.append(Tag.field1LengthDelimited)
        buffer.appendVarint(contextSize)
        context.writeMessage(into: &buffer)
        buffer.append(Tag.field2LengthDelimited)
        buffer.appendVarint(listsSize)
        featureLists.writeMessage(into: &buffer)
    }
}
