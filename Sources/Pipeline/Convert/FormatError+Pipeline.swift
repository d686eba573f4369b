internal import ShardKitSupport
import Shards
import Formats

extension DatasetError {
    /// A reader's error with its file, record and offset kept: a missing or unreadable file is
    /// `.noInput`, anything wrong inside a file `.badInput`.
    init(_ error: FormatError) {
        let kind: Kind = error.kind == .missingFile || error.kind == .io ? .noInput : .badInput
        var message = error.message
        switch (error.expected, error.found) {
        case (let e?, let f?): message += " (expected \(e), found \(f))"
        case (let e?, nil): message += " (expected \(e))"
        case (nil, let f?): message += " (found \(f))"
        case (nil, nil): break
        }
        self.init(
            kind, path: error.path.isEmpty ? nil : error.path, recordIndex: error.record,
            byteOffset: error.offset.map(Int64.init), message, underlying: error)
    }
}

/// Runs `body`, turning a `FormatError` into a `DatasetError`.
func reading<T>(_ body: () throws(FormatError) -> T) throws(DatasetError) -> T {
    do {
        return try body()
    } catch {
        throw DatasetError(error)
    }
}
