// A zero-copy view of a serialized Example, for hot decoding loops: no dictionary, no arrays, no
// strings unless asked for. It is validated once, in full, when made, with the same walker as the
// full decoder, so it accepts and rejects exactly what `Example(serializedBytes:)` does.

/// A validated, non-owning view of a serialized `tf.train.Example`.
///
/// The view borrows `bytes`: use it only while the memory it was made from is alive and unchanged.
/// Lookups re-scan the payload (cheap: values are skipped by their length prefixes); a key that
/// appears in several map entries resolves to the last one, as in the full decoder.
public struct ExampleView {
    /// The serialized Example.
    public let bytes: UnsafeRawBufferPointer

    /// Validates `bytes` as a serialized Example and makes a view of it.
    public init(unsafeBytes bytes: UnsafeRawBufferPointer) throws(ExampleDecodingError) {
        self.bytes = bytes
        try Self.forEachEntry(bytes) { (keyReader: WireReader?, entry: WireReader) throws(ExampleDecodingError) in
            _ = keyReader
            var reader = entry
            while !reader.isAtEnd {
                let tag = try reader.readTag()
                if tag.field == 1 {
                    try validateKey(try reader.readLengthDelimited())
                } else if tag.field == 2 {
                    var feature = try reader.readLengthDelimited()
                    try walkFeature(
                        &feature, begin: { _ in }, reserve: { _ in }, bytes: { _ in }, int64: { _ in }, float: { _ in })
                } else {
                    try reader.skip(wireType: tag.wireType)
                }
            }
        }
    }

    /// The feature stored under `key`, or nil.
    public func feature(_ key: String) -> FeatureView? {
        var found: (WireReader?, WireReader)? = nil
        iterateValidated { keyReader, entry in
            if Self.keyEquals(keyReader, key) { found = (keyReader, entry) }
        }
        guard let found else { return nil }
        return FeatureView(keyReader: found.0, entry: found.1)
    }

    /// Calls `body` for every feature, in wire order; an entry overridden by a later entry with the same key
    /// is left out.
    public func forEachFeature(_ body: (FeatureView) -> Void) {
        var position = 0
        iterateValidated { keyReader, entry in
            position += 1
            let mine = position
            var shadowed = false
            var other = 0
            iterateValidated { otherKey, _ in
                other += 1
                if other > mine && Self.keysEqual(keyReader, otherKey) { shadowed = true }
            }
            if !shadowed { body(FeatureView(keyReader: keyReader, entry: entry)) }
        }
    }

    // MARK: Internals

    /// Calls `body` with each map entry of each `features` field: the reader of its last key (nil when
    /// the entry has no key) and a reader over the whole entry.
    static func forEachEntry(
        _ bytes: UnsafeRawBufferPointer,
        _ body: (WireReader?, WireReader) throws(ExampleDecodingError) -> Void
    ) throws(ExampleDecodingError) {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1 else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            guard tag.wireType == 2 else {
                throw WireReader.wrongWireType(tag, message: "Example", expected: "wire type 2 (Features)")
            }
            var features = try reader.readLengthDelimited()
            while !features.isAtEnd {
                let featuresTag = try features.readTag()
                guard featuresTag.field == 1 else {
                    try features.skip(wireType: featuresTag.wireType)
                    continue
                }
                guard featuresTag.wireType == 2 else {
                    throw WireReader.wrongWireType(
                        featuresTag, message: "Features", expected: "wire type 2 (map entry)")
                }
                let entry = try features.readLengthDelimited()
                var scan = entry
                var key: WireReader? = nil
                while !scan.isAtEnd {
                    let entryTag = try scan.readTag()
                    if entryTag.field == 1 || entryTag.field == 2 {
                        guard entryTag.wireType == 2 else {
                            throw WireReader.wrongWireType(
                                entryTag, message: "Features map entry", expected: "wire type 2")
                        }
                        let value = try scan.readLengthDelimited()
                        if entryTag.field == 1 { key = value }
                    } else {
                        try scan.skip(wireType: entryTag.wireType)
                    }
                }
                try body(key, entry)
            }
        }
    }

    /// Iterates entries of the already validated payload.
    func iterateValidated(_ body: (WireReader?, WireReader) -> Void) {
        do throws(ExampleDecodingError) {
            try Self.forEachEntry(bytes) { (key: WireReader?, entry: WireReader) throws(ExampleDecodingError) in
                body(key, entry)
            }
        } catch {
            // Unreachable: the payload was validated by init.
        }
    }

    static func keyEquals(_ keyReader: WireReader?, _ key: String) -> Bool {
        guard let keyReader else { return key.isEmpty }
        let bytes = keyReader.remainingBytes
        return bytes.count == key.utf8.count && key.utf8.elementsEqual(bytes)
    }

    static func keysEqual(_ a: WireReader?, _ b: WireReader?) -> Bool {
        let left = a?.remainingBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let right = b?.remainingBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        return left.count == right.count && left.elementsEqual(right)
    }
}

/// One feature of an ``ExampleView``: its key, kind, count and values, read in place.
public struct FeatureView {
    /// The UTF-8 bytes of the key (validated).
    public let keyBytes: UnsafeRawBufferPointer
    /// The kind; a Feature with no kind set reads as `.bytes` with no values.
    public let kind: FeatureKind
    /// The number of values.
    public let count: Int
    let entry: WireReader
    let generation: Int

    init(keyReader: WireReader?, entry: WireReader) {
        self.keyBytes = keyReader?.remainingBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        self.entry = entry
        var kind: FeatureKind? = nil
        var generation = 0
        var count = 0
        Self.walk(entry) { next in
            if next != kind {
                kind = next
                generation += 1
                count = 0
            }
        } bytes: { _ in
            count += 1
        } int64: { _ in
            count += 1
        } float: { _ in
            count += 1
        }
        self.kind = kind ?? .bytes
        self.generation = generation
        self.count = count
    }

    /// The key as a String.
    public var key: String { String(decoding: keyBytes, as: UTF8.self) }

    /// Calls `body` with each byte string, in place (empty when the kind is not `.bytes`).
    public func forEachBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        guard kind == .bytes else { return }
        walkFinal(bytes: body, int64: { _ in }, float: { _ in })
    }

    /// Calls `body` with each int64 (nothing when the kind is not `.int64`).
    public func forEachInt64(_ body: (Int64) -> Void) {
        guard kind == .int64 else { return }
        walkFinal(bytes: { _ in }, int64: body, float: { _ in })
    }

    /// Calls `body` with each float (nothing when the kind is not `.float`).
    public func forEachFloat(_ body: (Float) -> Void) {
        guard kind == .float else { return }
        walkFinal(bytes: { _ in }, int64: { _ in }, float: body)
    }

    /// The first byte string, in place, or nil.
    public var firstBytes: UnsafeRawBufferPointer? {
        var first: UnsafeRawBufferPointer? = nil
        forEachBytes { if first == nil { first = $0 } }
        return first
    }

    /// Appends the int64 values to `array` (reuse one array across records to avoid allocations).
    public func appendInt64s(to array: inout [Int64]) {
        forEachInt64 { array.append($0) }
    }

    /// The int64 values (empty when the kind is not `.int64`).
    public func int64s() -> [Int64] {
        var values: [Int64] = []
        values.reserveCapacity(kind == .int64 ? count : 0)
        appendInt64s(to: &values)
        return values
    }

    /// The float values (empty when the kind is not `.float`).
    public func floats() -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(kind == .float ? count : 0)
        forEachFloat { values.append($0) }
        return values
    }

    /// Copies of the byte strings (empty when the kind is not `.bytes`).
    public func bytes() -> [[UInt8]] {
        var values: [[UInt8]] = []
        values.reserveCapacity(kind == .bytes ? count : 0)
        forEachBytes { values.append(Array($0)) }
        return values
    }

    /// The feature as an owned value.
    public var feature: Feature {
        switch kind {
        case .bytes: .bytes(bytes())
        case .float: .float(floats())
        case .int64: .int64(int64s())
        }
    }

    /// Walks every Feature value of the entry (several when the entry repeats its value field).
    static func walk(
        _ entry: WireReader, begin: (FeatureKind) -> Void, bytes: (UnsafeRawBufferPointer) -> Void,
        int64: (Int64) -> Void, float: (Float) -> Void
    ) {
        var reader = entry
        do throws(ExampleDecodingError) {
            while !reader.isAtEnd {
                let tag = try reader.readTag()
                if tag.field == 2 {
                    var feature = try reader.readLengthDelimited()
                    try walkFeature(&feature, begin: begin, reserve: { _ in }, bytes: bytes, int64: int64, float: float)
                } else {
                    try reader.skip(wireType: tag.wireType)
                }
            }
        } catch {
            // Unreachable: the payload was validated when the view was made.
        }
    }

    /// Walks only the values that survive oneof replacement: those of the last kind run.
    func walkFinal(
        bytes: (UnsafeRawBufferPointer) -> Void, int64: (Int64) -> Void, float: (Float) -> Void
    ) {
        var current: FeatureKind? = nil
        var generation = 0
        let target = self.generation
        Self.walk(entry) { next in
            if next != current {
                current = next
                generation += 1
            }
        } bytes: { value in
            if generation == target { bytes(value) }
        } int64: { value in
            if generation == target { int64(value) }
        } float: { value in
            if generation == target { float(value) }
        }
    }
}
