import RecordIO
import Testing

/// The one inflater (`InflateStream`) that RecordIO's TFRecord reading and Formats' raw-file
/// readers share: its outcomes on known zlib and gzip bytes, fed in small pieces.
@Suite struct InflateStreamTests {
    /// Python's `zlib.compress(b"abcabcabc", 9)`.
    static let zlibABC: [UInt8] = [120, 218, 75, 76, 74, 78, 4, 35, 0, 17, 61, 3, 115]
    /// Python's gzip members (mtime 0) of b"first " and b"second".
    static let gzipFirst: [UInt8] = [
        31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 75, 203, 44, 42, 46, 81, 0, 0, 252, 122, 241, 28, 6, 0, 0, 0,
    ]
    static let gzipSecond: [UInt8] = [
        31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 43, 78, 77, 206, 207, 75, 1, 0, 105, 17, 31, 182, 6, 0, 0, 0,
    ]

    /// Inflates `input` (handed over `piece` bytes at a time) until an outcome other than
    /// `.produced`; returns the bytes and that outcome.
    static func run(
        _ stream: InflateStream, _ input: [UInt8], piece: Int = 3, outputPiece: Int = 4
    ) -> ([UInt8], InflateStream.Outcome) {
        var next = 0
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: outputPiece)
        while true {
            let outcome = buffer.withUnsafeMutableBytes { raw in
                stream.inflate(into: raw.baseAddress!, count: raw.count) { into, capacity in
                    let n = min(capacity, piece, input.count - next)
                    input[next..<(next + n)].withUnsafeBytes { into.copyMemory(from: $0.baseAddress!, byteCount: n) }
                    next += n
                    return n
                }
            }
            guard case .produced(let n) = outcome else { return (output, outcome) }
            output += buffer[0..<n]
        }
    }

    @Test func zlibStopsAtItsEndWithoutReadingFurther() throws {
        let stream = try InflateStream(wrapper: .zlib, afterEnd: .stop, inputCapacity: 5)
        let (bytes, outcome) = Self.run(stream, Self.zlibABC + [9, 9, 9])
        #expect(bytes == Array("abcabcabc".utf8))
        #expect(outcome == .ended)
    }

    @Test func zlibWithMoreInputAfterItsEndIsTrailingInput() throws {
        let stream = try InflateStream(wrapper: .zlib, afterEnd: .readNextMember, inputCapacity: 5)
        #expect(Self.run(stream, Self.zlibABC + [9]).1 == .trailingInput)
        let clean = try InflateStream(wrapper: .zlib, afterEnd: .readNextMember, inputCapacity: 5)
        #expect(Self.run(clean, Self.zlibABC).1 == .ended)
    }

    @Test func gzipMembersReadAsOneStreamAndTracked() throws {
        let stream = try InflateStream(wrapper: .gzip, afterEnd: .readNextMember, inputCapacity: 7, tracksMembers: true)
        let (bytes, outcome) = Self.run(stream, Self.gzipFirst + Self.gzipSecond)
        #expect(String(decoding: bytes, as: UTF8.self) == "first second")
        #expect(outcome == .ended)
        #expect(stream.memberStarts.map(\.fileOffset) == [0, Int64(Self.gzipFirst.count)])
        #expect(stream.memberStarts.map(\.streamOffset) == [0, 6])
        #expect(stream.compressedBytesRead == Int64(Self.gzipFirst.count + Self.gzipSecond.count))
    }

    @Test func gzipStoppingAtTheFirstMember() throws {
        let stream = try InflateStream(wrapper: .gzip, afterEnd: .stop, inputCapacity: 64)
        let (bytes, outcome) = Self.run(stream, Self.gzipFirst + Self.gzipSecond)
        #expect(String(decoding: bytes, as: UTF8.self) == "first ")
        #expect(outcome == .ended)
    }

    @Test func aPrefixStartsTheStream() throws {
        let stream = try InflateStream(
            wrapper: .gzip, afterEnd: .readNextMember, inputCapacity: 8, prefix: Array(Self.gzipFirst[0..<2]))
        let (bytes, outcome) = Self.run(stream, Array(Self.gzipFirst[2...]))
        #expect(String(decoding: bytes, as: UTF8.self) == "first ")
        #expect(outcome == .ended)
    }

    @Test func aCutStreamAndAnEmptyInputAreCutShort() throws {
        let cut = try InflateStream(wrapper: .gzip, afterEnd: .readNextMember, inputCapacity: 8)
        #expect(Self.run(cut, Array(Self.gzipFirst.dropLast(4))).1 == .cutShort)
        let empty = try InflateStream(wrapper: .zlib, afterEnd: .stop, inputCapacity: 8)
        #expect(Self.run(empty, []).1 == .cutShort)
        #expect(empty.compressedBytesRead == 0)
    }

    @Test func damageIsCorruptWithZlibsReasonAndTheOutputOffset() throws {
        var damaged = Self.gzipSecond
        damaged[damaged.count - 5] ^= 0xFF  // the CRC-32 of the member
        let stream = try InflateStream(wrapper: .gzip, afterEnd: .readNextMember, inputCapacity: 64)
        let (bytes, outcome) = Self.run(stream, Self.gzipFirst + damaged)
        #expect(String(decoding: bytes, as: UTF8.self) == "first second")
        #expect(outcome == .corrupt("incorrect data check"))
        #expect(stream.outputOffset == 12)
    }
}
