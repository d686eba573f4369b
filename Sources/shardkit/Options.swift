public import ArgumentParser
import Foundation
import Imaging
import Pipeline
public import Shards
import RecordIO
import Synth

/// Options every long-running command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print no progress; only results and errors.")
    var quiet = false
}

/// `--jobs N`: worker threads, one name in every command that runs work in parallel.
struct JobsOptions: ParsableArguments {
    @Option(help: "Worker threads (default: the number of cores).")
    var jobs: Int?

    /// The name train and eval used before `--jobs`, still accepted.
    @Option(name: .customLong("threads"), help: .hidden)
    var legacyThreads: Int?

    /// The thread count asked for.
    var count: Int { legacyThreads ?? jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }
}

/// `--augment SPEC --copies K`, for every command that writes augmented records (convert, synth).
struct AugmentationOptions: ParsableArguments {
    @Option(
        help: "Augment every image, e.g. crop=26,resize=28,brightness=0.2 (see formats/augmentation.md).",
        transform: { text in
            do { return try AugmentSpec(parsing: text) } catch { throw ValidationError("--augment: \(error)") }
        })
    var augment: AugmentSpec?

    @Option(help: "With --augment: records written per source record, each augmented on its own.")
    var copies: Int = 1

    func validate() throws {
        guard copies >= 1 else { throw ValidationError("--copies must be at least 1") }
        if copies > 1 && augment == nil { throw ValidationError("--copies needs --augment") }
    }
}

// The enums the options take, parsed by swift-argument-parser from their raw values (help lists them).
extension DatasetFormat: ExpressibleByArgument {}
extension Compression: ExpressibleByArgument {}
extension ImageEncoding: ExpressibleByArgument {}
extension DigitLayout: ExpressibleByArgument {}
