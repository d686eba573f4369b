import Foundation

/// The SHA-256 of a file as coreutils' `sha256sum` prints it (64 lowercase hex digits): a check
/// that does not go through the code under test.
public func sha256sum(_ path: String) throws -> String {
    try firstHash(printedBy: "/usr/bin/sha256sum", [path])
}

/// The SHA-256 of the `sha256sum` listing of the `*.png` files in `folder`, by the shell:
/// `cd folder && LC_ALL=C sha256sum $(LC_ALL=C ls *.png) | sha256sum` (names sorted bytewise).
public func sha256sumListingOfPNGs(in folder: String) throws -> String {
    try firstHash(
        printedBy: "/bin/sh", ["-c", "cd \"$0\" && LC_ALL=C sha256sum $(LC_ALL=C ls *.png) | sha256sum", folder])
}

/// Runs `executable` with `arguments` and returns the first 64 characters it prints: the hash.
private func firstHash(printedBy executable: String, _ arguments: [String]) throws -> String {
    String(try standardOutput(of: executable, arguments).prefix(64))
}

/// Runs `executable` with `arguments` and returns what it printed on standard output.
public func standardOutput(of executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text
}
