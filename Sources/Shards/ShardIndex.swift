internal import ShardKitSupport
public import RecordIO

/// The index file of a shard: where each record sits, one line per record, in the text format the
/// `tfrecord` Python package and DALI take as their index argument, with every number zero-padded
/// to a fixed width so that the line of record i starts at byte i × width (random access without
/// reading the lines before it).
///
/// - Plain shard: `offset length\n`, `offset` 12 digits (the first byte of the record's length
///   field), `length` 10 digits (16 + payload bytes); 24 bytes a line.
/// - GZIP shard written as members: `offset length member offset-in-member\n`, 12, 10, 12 and 10
///   digits, 48 bytes a line. The first two columns are the plain file's numbers (offsets in the
///   decompressed stream, which is what the `tfrecord` package seeks to with
///   `compression_type="gzip"`); `member` is the byte offset of the gzip member that holds the
///   record, `offset-in-member` the record's offset in that member's decompressed data.
/// - ZLIB shards have no index: TensorFlow stops after the first zlib stream, so a ZLIB shard
///   stays one stream and can only be read from its start.
///
/// Index files live in the dataset's `index/` folder, named `{shard}.index`, so that the shards'
/// glob pattern (`{name}-{split}.tfrecord*`) matches shards only.
public enum ShardIndex {
    /// The folder of a dataset that holds its index files.
    public static let directoryName = "index"
    /// Digits of the offset columns: shards up to 10¹² − 1 bytes (about 931 GiB).
    static let offsetDigits = 12
    /// Digits of the length and offset-in-member columns: up to 10¹⁰ − 1 (records are at most
    /// 2 GiB; a record starts in a member only while the member is below its block size).
    static let lengthDigits = 10

    /// `index/{shard}.index`, relative to the dataset directory.
    public static func relativePath(forShard file: String) -> String {
        "\(directoryName)/\(file).index"
    }

    /// Bytes of one line, newline included: 24 for plain shards, 48 for GZIP shards of members.
    public static func lineWidth(members: Bool) -> Int {
        members ? 2 * (offsetDigits + lengthDigits + 2) : offsetDigits + lengthDigits + 2
    }

    /// Writes the line of `location` at `target` (`lineWidth` bytes, newline included); false when
    /// a number does not fit its column.
    static func writeLine(_ location: RecordLocation, to target: UnsafeMutableRawPointer) -> Bool {
        var fields = [(location.offset, offsetDigits), (location.length, lengthDigits)]
        if let member = location.member {
            fields += [(member.fileOffset, offsetDigits), (member.offsetInMember, lengthDigits)]
        }
        var at = 0
        for (value, digits) in fields {
            guard value >= 0, writePadded(UInt64(value), digits: digits, to: target + at) else { return false }
            at += digits
            target.storeBytes(of: UInt8(ascii: " "), toByteOffset: at, as: UInt8.self)
            at += 1
        }
        target.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: at - 1, as: UInt8.self)
        return true
    }

    /// `value` as exactly `digits` decimal digits, zero-padded; false when it has more.
    private static func writePadded(_ value: UInt64, digits: Int, to target: UnsafeMutableRawPointer) -> Bool {
        var rest = value
        for i in stride(from: digits - 1, through: 0, by: -1) {
            target.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: i, as: UInt8.self)
            rest /= 10
        }
        return rest == 0
    }

    /// The location one line gives (without its newline): two numbers for a plain shard, four for
    /// a GZIP shard of members, separated by single spaces; any width (other tools write the numbers
    /// unpadded). Nil when the line is anything else.
    public static func parse(_ line: some Collection<UInt8>) -> RecordLocation? {
        var fields: [Int64] = []
        var value: Int64 = 0
        var digits = 0
        for byte in line {
            if byte == UInt8(ascii: " ") {
                guard digits > 0 else { return nil }
                fields.append(value)
                (value, digits) = (0, 0)
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow, digits < 19 else { return nil }
                value = shifted + Int64(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        fields.append(value)
        switch fields.count {
        case 2: return RecordLocation(offset: fields[0], length: fields[1])
        case 4:
            return RecordLocation(
                offset: fields[0], length: fields[1],
                member: GzipMemberPosition(fileOffset: fields[2], offsetInMember: fields[3]))
        default: return nil
        }
    }

    /// The location of record `record` of a shard of `records` records, from the index file at
    /// `path`. When the file is `records` lines of one width (as ShardKit writes it), this reads
    /// the first line (for the width) and line `record`: two `pread`s, whatever `record` is. An
    /// index of uneven lines (written by another tool) is read line by line up to `record`.
    static func location(_ record: Int, records: Int, indexAt path: String) throws(DatasetError) -> RecordLocation {
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch {
            throw DatasetError(.noInput, path: path, "the index file listed in the manifest cannot be opened: \(error.reason)")
        }
        var head = [UInt8](repeating: 0, count: 64)
        let got = try readIndex(file, into: &head, at: 0)
        if let newline = head[0..<got].firstIndex(of: UInt8(ascii: "\n")), Int64(newline + 1) * Int64(records) == file.size {
            let width = newline + 1
            var line = [UInt8](repeating: 0, count: width)
            let offset = Int64(record) * Int64(width)
            let n = try readIndex(file, into: &line, at: offset)
            guard n == width, line[width - 1] == UInt8(ascii: "\n"), let location = parse(line[0..<(width - 1)]) else {
                throw badLine(path, record: record, at: offset)
            }
            return location
        }
        return try scan(file, for: record)
    }

    /// Reads line `record` of an index of uneven lines, from its start.
    private static func scan(_ file: ReadableFile, for record: Int) throws(DatasetError) -> RecordLocation {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var line: [UInt8] = []
        var lineNumber = 0
        var lineStart: Int64 = 0
        var position: Int64 = 0
        while true {
            let n = try readIndex(file, into: &buffer, at: position)
            if n == 0 {
                if lineNumber == record, !line.isEmpty, let location = parse(line) { return location }
                throw badLine(file.path, record: record, at: lineStart, "the index has only \(lineNumber) lines")
            }
            for byte in buffer[0..<n] {
                position += 1
                guard byte == UInt8(ascii: "\n") else {
                    if lineNumber == record { line.append(byte) }
                    continue
                }
                if lineNumber == record {
                    guard let location = parse(line) else { throw badLine(file.path, record: record, at: lineStart) }
                    return location
                }
                lineNumber += 1
                lineStart = position
            }
        }
    }

    private static func readIndex(_ file: ReadableFile, into buffer: inout [UInt8], at offset: Int64) throws(DatasetError) -> Int {
        let count = buffer.count
        do {
            return try buffer.withUnsafeMutableBytes { raw in try file.read(into: raw.baseAddress!, count: count, at: offset) }
        } catch {
            throw DatasetError(.noInput, path: file.path, "cannot read the index file: \(error)")
        }
    }

    private static func badLine(
        _ path: String, record: Int, at offset: Int64, _ why: String = "index line is not `offset length` (or the four numbers of a GZIP shard)"
    ) -> DatasetError {
        DatasetError(.badInput, path: path, recordIndex: record, byteOffset: offset, why)
    }
}
