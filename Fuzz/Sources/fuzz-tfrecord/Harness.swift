// The TFRecord reader over a file of fuzzed bytes: plain, GZIP and ZLIB (the corpus holds all three).
// Pass 1 reads as a user would (compression detected, checksums verified); pass 2 skips the
// checksums, which a mutated file rarely gets right, so the framing and buffer logic behind them is
// reached too, with a tiny buffer that must grow and slide; pass 3 skips corrupt records under a
// small length limit; pass 4 forces each compression on the same bytes so the inflaters see every
// input. Buffers are 4 KiB rather than the default 1 MiB, which only sets when a buffer grows
// (five megabytes per run cost a quarter of the runs per second under ASan).
import FuzzSupport
import RecordIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = Scratch.write(fuzzInput(data, size), to: "input.tfrecord")
    readAll(path, compression: nil, options: .init(bufferSize: 4096))
    readAll(path, compression: nil, options: .init(verifyChecksums: false, bufferSize: 64))
    readAll(path, compression: nil, options: .init(skipCorrupt: true, maxRecordLength: 1 << 16, bufferSize: 4096))
    for compression in [Compression.gzip, .zlib] {
        readAll(path, compression: compression, options: .init(verifyChecksums: false, bufferSize: 64))
    }
    return 0
}

/// Reads every record; after the first error the reader must keep throwing it.
private func readAll(_ path: String, compression: Compression?, options: RecordReader.Options) {
    guard var reader = try? RecordReader(path: path, compression: compression, options: options) else { return }
    var total = 0
    do {
        while let payload = try reader.nextRecord() {
            fuzzCheck(payload.count <= Int(options.maxRecordLength), "record longer than the limit")
            total += payload.count
        }
        fuzzCheck(try reader.nextRecord() == nil, "a clean end must stay an end")
    } catch {
        do {
            _ = try reader.nextRecord()
            fuzzCheck(false, "a reader that failed must keep failing")
        } catch let again {
            fuzzCheck(again == error, "the repeated error differs: \(again) vs \(error)")
        }
    }
    _ = total
}
