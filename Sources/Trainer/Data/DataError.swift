/// A dataset that cannot be read, or a record that does not fit the model: names the file and,
/// for a record, its index in that file.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The shard (or manifest, or image file).
    public var path: String
    /// The record's 0-based index in `path`, when the problem is one record.
    public var recordIndex: Int?
    public var message: String

    public init(path: String, recordIndex: Int? = nil, message: String) {
        self.path = path
        self.recordIndex = recordIndex
        self.message = message
    }

    public var description: String {
        if let recordIndex { return "\(path): record \(recordIndex): \(message)" }
        return "\(path): \(message)"
    }
}
