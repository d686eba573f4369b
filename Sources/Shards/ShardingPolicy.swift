/// How the records of each split are spread over shards: the one place that says what a valid
/// choice is and what the default is.
public enum ShardingPolicy: Sendable, Equatable {
    /// Exactly this many shards per split (the split's record count must be known up front);
    /// shard k holds records `[k·R/n, (k+1)·R/n)`.
    case shards(Int)
    /// A new shard once the current one holds this many bytes (framed, before compression).
    case shardBytes(Int64)

    /// New shards every 128 MiB: the size TensorFlow's guides suggest (100–200 MB), large enough
    /// for sequential reads, small enough to spread over hosts.
    public static let `default` = ShardingPolicy.shardBytes(128 << 20)

    /// Why this policy cannot be used, or nil when it can: the one check, shown as the message of
    /// a usage error wherever a policy is given (the CLI, the library, the writer).
    public var problem: String? {
        switch self {
        case .shards(let n) where n < 1: "the shard count must be at least 1, not \(n)"
        case .shardBytes(let bytes) where bytes < 1: "the shard size must be positive, not \(bytes) bytes"
        default: nil
        }
    }
}
