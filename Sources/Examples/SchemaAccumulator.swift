/// What the records seen so far say about one key.
public struct SchemaEntry: Sendable, Equatable, Codable {
    /// The feature name.
    public var key: String
    /// The kind of the first record that had the key; see ``SchemaAccumulator/kindConflicts``
    /// for keys whose kind varied. Encoded as `"bytes"`, `"float"` or `"int64"`.
    public var kind: FeatureKind
    /// The fewest values in one record; 0 when some record lacked the key.
    public var minCount: Int
    /// The most values in one record.
    public var maxCount: Int

    /// An entry as a manifest stores it (accumulators make their own through `entries`).
    public init(key: String, kind: FeatureKind, minCount: Int, maxCount: Int) {
        self.key = key
        self.kind = kind
        self.minCount = minCount
        self.maxCount = maxCount
    }
}

/// Observes Examples and summarizes their keys: kind and the range of value counts per key.
/// Codable, so that what one worker saw of its shards can be merged by another process later.
public struct SchemaAccumulator: Sendable, Equatable, Codable {
    struct Stats: Sendable, Equatable, Codable {
        var kind: FeatureKind
        var minCount: Int
        var maxCount: Int
        var present: Int
        var kindVaries: Bool
    }

    var stats: [String: Stats] = [:]
    /// Number of Examples observed.
    public private(set) var recordCount = 0

    /// An accumulator that has seen no record.
    public init() {}

    /// Adds one Example.
    public mutating func observe(_ example: Example) {
        recordCount += 1
        for (key, feature) in example.features.feature {
            let count = feature.count
            if var entry = stats[key] {
                entry.minCount = min(entry.minCount, count)
                entry.maxCount = max(entry.maxCount, count)
                entry.present += 1
                if entry.kind != feature.featureKind { entry.kindVaries = true }
                stats[key] = entry
            } else {
                stats[key] = Stats(
                    kind: feature.featureKind, minCount: count, maxCount: count, present: 1, kindVaries: false)
            }
        }
    }

    /// Adds what another accumulator saw (for parallel workers). `other`'s kind counts as seen later.
    public mutating func merge(_ other: SchemaAccumulator) {
        recordCount += other.recordCount
        for (key, theirs) in other.stats {
            if var entry = stats[key] {
                entry.minCount = min(entry.minCount, theirs.minCount)
                entry.maxCount = max(entry.maxCount, theirs.maxCount)
                entry.present += theirs.present
                if entry.kind != theirs.kind || theirs.kindVaries { entry.kindVaries = true }
                stats[key] = entry
            } else {
                stats[key] = theirs
            }
        }
    }

    /// One entry per key, sorted by key (byte-wise UTF-8). A key missing from some records has minCount 0.
    public var entries: [SchemaEntry] {
        stats.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { key in
            let s = stats[key]!
            return SchemaEntry(
                key: key, kind: s.kind, minCount: s.present < recordCount ? 0 : s.minCount,
                maxCount: s.maxCount)
        }
    }

    /// Keys whose kind differed between records, sorted.
    public var kindConflicts: [String] {
        stats.filter { $0.value.kindVaries }.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Keys missing from at least one observed record, sorted.
    public var optionalKeys: [String] {
        stats.filter { $0.value.present < recordCount }.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
