import Testing

@_spi(Benchmarks) @testable import Trainer

/// safetensors headers that declare more than the file holds are errors, never allocations or
/// arithmetic traps.
@Suite("Checkpoint limits")
struct CheckpointLimitTests {
    /// An 8-byte header length, the JSON header, then `data`.
    func safetensors(_ header: String, length: UInt64? = nil, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: (length ?? UInt64(json.count)).littleEndian) { Array($0) } + json + data
    }

    func message(_ bytes: [UInt8]) -> String? {
        do {
            _ = try Checkpoint.decode(bytes, path: "x.safetensors")
            return nil
        } catch let error as CheckpointError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("A header length beyond the file is rejected before the header is read")
    func hugeHeaderLength() {
        let bytes = safetensors("{}", length: 1 << 62)
        #expect(message(bytes) == "header length \(UInt64(1) << 62) exceeds the file (10 bytes)")
    }

    @Test("A shape whose element count overflows is an error, not a trap")
    func overflowingShape() {
        let header = #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#
        let text = message(safetensors(header, data: [UInt8](repeating: 0, count: 16)))
        #expect(text?.hasPrefix("tensor w: data_offsets [0, 16] do not hold shape") == true)
    }

    @Test("A shape larger than the data section is rejected before any tensor is allocated")
    func shapeBeyondTheData() {
        let header = #"{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"#
        let text = message(safetensors(header, data: [0, 0, 0, 0]))
        #expect(text == "tensor w: data_offsets [0, 4000000000] do not hold shape [1000000000] in 4 data bytes")
        let negative = #"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#
        #expect(message(safetensors(negative, data: [UInt8](repeating: 0, count: 16)))?.contains("do not hold") == true)
    }
}
