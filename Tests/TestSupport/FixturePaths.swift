public import Foundation

/// Paths of the repository's `Fixtures/` folder and of scratch directories for tests.
public enum FixturePaths {
    /// The repository root, found from this file's location (Tests/TestSupport/FixturePaths.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Fixtures/` at the repository root.
    public static let fixtures: URL = repositoryRoot.appendingPathComponent("Fixtures")

    /// A path below `Fixtures/`, e.g. `FixturePaths.fixture("mnist/train-images-idx3-ubyte")`.
    public static func fixture(_ relativePath: String) -> URL {
        fixtures.appendingPathComponent(relativePath)
    }

    /// A new empty directory under the system's temporary folder; the caller removes it.
    public static func makeScratchDirectory(_ label: String = "shardkit-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
