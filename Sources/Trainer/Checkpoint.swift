public import Foundation
package import ShardKitSupport

/// Named float32 tensors plus string metadata, stored in the safetensors format
/// (see formats/safetensors.md): an 8-byte little-endian header length, a JSON header giving
/// each tensor's dtype, shape and byte range, then the raw little-endian data.
public struct Checkpoint: Sendable, Equatable {
    /// The tensors by name: a model's parameters (`conv1/kernel`, …) and optimizer slots
    /// (`optimizer/m/conv1/kernel`, …); all float32.
    public var tensors: [String: Tensor]
    /// Free-form string→string pairs (the header's `__metadata__`).
    public var metadata: [String: String]

    /// A checkpoint of `tensors` and `metadata` (nothing is written until `write(to:)`).
    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes. Tensors are laid out in name order; the header is padded with spaces
    /// to a multiple of 8 bytes so the data starts aligned.
    public func encoded() -> [UInt8] {
        let names = tensors.keys.sorted()
        var json = "{\"__metadata__\":{"
        json += metadata.keys.sorted().map { "\(JSONText.string($0)):\(JSONText.string(metadata[$0]!))" }.joined(separator: ",")
        json += "}"
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let end = offset + 4 * t.count
            json +=
                ",\(JSONText.string(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
            json += "\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for name in names {
            #if _endian(little)
                // The in-memory floats are already the file's little-endian bytes: one copy each.
                tensors[name]!.scalars.withUnsafeBytes { bytes.append(contentsOf: $0) }
            #else
                tensors[name]!.scalars.withUnsafeBufferPointer { p in
                    for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                }
            #endif
        }
        return bytes
    }

    /// Parses safetensors bytes; only `F32` tensors are accepted. `path` names the source in errors.
    /// Throws `CheckpointError` with the byte offset of the first problem.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> Checkpoint {
        func fail(_ offset: Int, _ message: String) -> CheckpointError {
            CheckpointError(path: path, offset: offset, message: message)
        }
        guard bytes.count >= 8 else { throw fail(0, "expected an 8-byte header length, found \(bytes.count) bytes") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard headerLength <= UInt64(bytes.count - 8), headerLength <= 100_000_000 else {
            throw fail(0, "header length \(headerLength) exceeds the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw fail(8, "header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = object as? [String: Any] else { throw fail(8, "header is not a JSON object") }
        var checkpoint = Checkpoint()
        if let meta = header["__metadata__"] {
            guard let pairs = meta as? [String: String] else {
                throw fail(8, "__metadata__ must map strings to strings")
            }
            checkpoint.metadata = pairs
        }
        let dataLength = bytes.count - dataStart
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail(8, "tensor \(name): expected dtype, shape and data_offsets") }
            guard dtype == "F32" else { throw fail(8, "tensor \(name): expected dtype F32, found \(dtype)") }
            let (begin, end) = (offsets[0], offsets[1])
            // The element count must be computed without trusting the shape: its product can
            // overflow, and nothing is allocated until it matches bytes that are really there.
            var count = 1
            for dimension in shape where count >= 0 {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                count = overflow || dimension < 0 || product > dataLength / 4 ? -1 : product
            }
            guard count >= 0, begin >= 0, begin <= end, end <= dataLength, end - begin == 4 * count
            else {
                throw fail(
                    dataStart + begin,
                    "tensor \(name): data_offsets [\(begin), \(end)] do not hold shape \(shape) in \(dataLength) data bytes"
                )
            }
            var scalars = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                #if _endian(little)
                    scalars.withUnsafeMutableBytes {
                        $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(dataStart + begin)..<(dataStart + end)]))
                    }
                #else
                    for i in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: dataStart + begin + 4 * i, as: UInt32.self)
                        scalars[i] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                #endif
            }
            checkpoint.tensors[name] = Tensor(shape: shape, scalars: scalars)
        }
        return checkpoint
    }

    /// Writes the checkpoint atomically and durably: a temporary file beside it, fsynced, then
    /// renamed over `url` (`writeFileAtomically`, the one way ShardKit writes such files), so a
    /// crash or a full disk leaves the previous file whole. A failure is a
    /// `TrainingOutputError` naming `url`.
    public func write(to url: URL) throws(TrainingOutputError) {
        try RunDirectory.write(encoded(), to: url.path)
    }

    /// Reads a checkpoint written by `write(to:)` or any safetensors writer using F32. Throws
    /// `CheckpointError` (`isMissing` when the file cannot be read at all).
    public static func read(from url: URL) throws -> Checkpoint {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            let reason = (error as? CocoaError)?.code == .fileReadNoSuchFile ? "no such file" : "cannot read the file"
            throw CheckpointError(path: url.path, offset: nil, message: reason, isMissing: true)
        }
        return try decode(Array(bytes), path: url.path)
    }
}

/// A checkpoint that cannot be read or does not fit the model.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// The checkpoint file (`<memory>` for bytes decoded without one).
    public var path: String
    /// Byte offset in the file where the problem was found, when it is inside the file.
    public var offset: Int?
    /// What is wrong, e.g. "missing tensor conv1/kernel".
    public var message: String
    /// True when the file is not there or cannot be read at all.
    public var isMissing: Bool

    init(path: String, offset: Int?, message: String, isMissing: Bool = false) {
        self.path = path
        self.offset = offset
        self.message = message
        self.isMissing = isMissing
    }

    /// One line: the path, the byte offset when known, then the message.
    public var description: String {
        offset.map { "\(path) at byte \($0): \(message)" } ?? "\(path): \(message)"
    }
}

extension CheckpointError: CategorizedError {
    package var category: ErrorCategory { isMissing ? .missingInput : .malformedInput }
}
