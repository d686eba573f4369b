import Foundation
import TestSupport
import Testing

/// Every `shardkit` command of README.md works verbatim, in order, on the fixtures.
///
/// The commands are read from README.md's fenced `sh`/`bash` blocks whose first command starts
/// with `shardkit`, and each runs through `/bin/sh` in one scratch folder, with the built binary
/// first on `PATH`. The README's input paths stay as written: `HOME` is a scratch home whose
/// `~/data/<name>` folders hold the fixtures (`dataFolders`), so `~/data/mnist` is Fixtures/mnist.
/// The one rewrite is the scale-out example's `/shared/` (a folder every machine mounts), which
/// becomes a folder in the scratch directory.
@Suite struct ReadmeCommandTests {
    /// `~/data/<name>` → the fixture folders whose entries it holds. SVHN ships both of its formats
    /// from one page, so `~/data/svhn` has the full numbers (train/, test/, and test/ again as
    /// extra/) beside the cropped digits' `*_32x32.mat`.
    static let dataFolders: [String: [(entry: String?, fixture: String)]] = [
        "mnist": [(nil, "mnist")],
        "cifar-10": [(nil, "cifar10")],
        "cifar-10-binary.tar.gz": [(nil, "archives/cifar-10-binary.tar.gz")],
        "hwdb": [(nil, "hwdb")],
        "fashion": [(nil, "fashion-mnist")],
        "emnist": [("gzip", "emnist")],
        "notMNIST_small": [(nil, "folder")],
        "svhn": [
            ("train", "svhn/train"), ("test", "svhn/test"), ("extra", "svhn/test"),
            ("train_32x32.mat", "svhn-cropped/train_32x32.mat"), ("test_32x32.mat", "svhn-cropped/test_32x32.mat"),
            ("extra_32x32.mat", "svhn-cropped/extra_32x32.mat"),
        ],
    ]

    /// The command lines of the README's shardkit blocks, in order (continued lines joined).
    static func commands(in readme: String) -> [String] {
        var commands: [String] = []
        var block: [String]?
        for raw in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") {
                if let lines = block {
                    if lines.first?.hasPrefix("shardkit ") == true { commands += lines }
                    block = nil
                } else if ["```sh", "```bash", "```shell"].contains(line) {
                    block = []
                }
                continue
            }
            guard block != nil, !line.isEmpty, !line.hasPrefix("#") else { continue }
            if let last = block!.last, last.hasSuffix("\\") {
                block![block!.count - 1] = String(last.dropLast()) + " " + line
            } else {
                block!.append(line)
            }
        }
        return commands
    }

    @Test func theParserFindsTheShardkitBlocksOnly() {
        let text = """
            ```sh
            make demo
            ```
            ```sh
            # a comment
            shardkit convert mnist --input a \\
                --output b
            shardkit verify b   # trailing comment
            ```
            ```yaml
            command: [shardkit, commit]
            ```
            ```sh
            $ shardkit --version
            ```
            """
        #expect(Self.commands(in: text) == ["shardkit convert mnist --input a  --output b", "shardkit verify b   # trailing comment"])
    }

    @Test func everyReadmeCommandRunsVerbatimOnTheFixtures() throws {
        let readme = try String(
            contentsOf: FixturePaths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let commands = Self.commands(in: readme)
        let run = Set(commands.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) })
        #expect(run.isSuperset(of: ["convert", "inspect", "verify", "synth", "train", "eval"]), "\(run)")

        let scratch = try FixturePaths.makeScratchDirectory("shardkit-readme")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let home = scratch.appendingPathComponent("home")
        let work = scratch.appendingPathComponent("work")
        for (name, entries) in Self.dataFolders {
            let folder = home.appendingPathComponent("data/\(name)")
            for (entry, fixture) in entries {
                let target = FixturePaths.fixture(fixture)
                if let entry {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    try FileManager.default.createSymbolicLink(
                        at: folder.appendingPathComponent(entry), withDestinationURL: target)
                } else {
                    try FileManager.default.createDirectory(
                        at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try FileManager.default.createSymbolicLink(at: folder, withDestinationURL: target)
                }
            }
        }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let binaries = ShardKitProcess.binary.deletingLastPathComponent().path
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["PATH"] = binaries + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        for name in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] { environment[name] = nil }

        for command in commands {
            let known = Self.dataFolders.keys.map { "~/data/\($0)" }
            for word in command.split(separator: " ") where word.hasPrefix("~/data/") {
                #expect(
                    known.contains { word == $0 || word.hasPrefix($0 + "/") },
                    "\(command): no fixture stands for \(word); add it to dataFolders")
            }
            let rewritten = command.replacingOccurrences(of: "/shared/", with: scratch.path + "/shared/")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", rewritten]
            process.currentDirectoryURL = work
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "README command failed: \(command)\n\(text)")
            if process.terminationStatus != 0 { break }  // later commands use this one's output
        }
    }
}
