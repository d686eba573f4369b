import CShardKitOpenSSL
internal import ShardKitSupport
import Glibc

/// Incremental SHA-256 over OpenSSL's EVP interface (which uses the CPU's SHA extensions).
package final class SHA256Hasher {
    private let context: OpaquePointer

    package init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    package func update(_ bytes: UnsafeRawPointer, count: Int) {
        if count > 0 { EVP_DigestUpdate(context, bytes, count) }
    }

    /// The digest as 64 lowercase hex digits; the hasher is spent afterwards.
    package func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 32
        EVP_DigestFinal_ex(context, &digest, &size)
        return Hex.string(digest)
    }
}

extension SHA256Hasher {
    /// Who computes SHA-256 here: OpenSSL, which picks its own code path from the CPU (it uses the
    /// SHA extensions where the CPU has them; SHARDKIT_ISA does not reach it).
    package static var kernelName: String {
        CPUFeatures.hasSHAInstructions ? "openssl (CPU has SHA extensions)" : "openssl (no SHA extensions)"
    }
}


/// The SHA-256 of `bytes` as 64 lowercase hex digits.
package func sha256(of bytes: [UInt8]) -> String {
    let hasher = SHA256Hasher()
    bytes.withUnsafeBytes { if let base = $0.baseAddress { hasher.update(base, count: $0.count) } }
    return hasher.finalizeHex()
}

/// The SHA-256 of a file's contents as 64 lowercase hex digits, read in 1 MiB pieces.
public func sha256(fileAt path: String) throws(RecordIOError) -> String {
    let file = try ReadableFile(path: path)
    let hasher = SHA256Hasher()
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
    defer { buffer.deallocate() }
    while true {
        let n = try file.read(into: buffer, count: chunk)
        if n == 0 { break }
        hasher.update(buffer, count: n)
    }
    return hasher.finalizeHex()
}
