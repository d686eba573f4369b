public import ArgumentParser
public import Formats
import Foundation
import Imaging
import Pipeline
public import Shards
public import Trainer
import RecordIO
import ShardKitSupport
import Synth

/// Options every long-running command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print no progress; only results and errors.")
    var quiet = false
}

/// `--overwrite`, for every command that writes a dataset (convert, synth, generate, repair); the
/// same word as train's for its run directory.
struct DatasetOutputOptions: ParsableArguments {
    @Flag(
        help: """
            Replace a dataset already in the output. The old one stays intact until the new one is \
            complete; other files in the folder are kept.
            """)
    var overwrite = false
}

/// `--jobs N`: worker threads, one name in every command that runs work in parallel.
struct JobsOptions: ParsableArguments {
    @Option(help: "Worker threads (default: the CPUs this process may use: its affinity mask, capped by a cgroup quota).")
    var jobs: Int?

    /// The name train and eval used before `--jobs`, still accepted.
    @Option(name: .customLong("threads"), help: .hidden)
    var legacyThreads: Int?

    /// The thread count asked for.
    var count: Int { legacyThreads ?? jobs ?? AvailableCPUs.count }

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

    @Option(help: "With --augment: the splits it (and --copies) applies to, comma-separated.")
    var augmentSplits: String = "train"

    /// `--augment-splits` as a set of split names.
    var splits: Set<String> {
        Set(augmentSplits.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    func validate() throws {
        guard copies >= 1 else { throw ValidationError("--copies must be at least 1") }
        if copies > 1 && augment == nil { throw ValidationError("--copies needs --augment") }
    }
}

/// `--worker I/N`, `--workers N`, `--resume`: splitting one dataset's shards among worker
/// processes (a Slurm job array, a Kubernetes Indexed Job, or by hand) and taking over a killed run.
struct ScaleOutOptions: ParsableArguments {
    @Option(help: "Be worker I of N (from 0): write only this worker's shards; then run `shardkit commit`. Needs --shards. Read from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX when not given.")
    var worker: String?

    @Option(help: "The worker count, for JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or to override SLURM_ARRAY_TASK_COUNT.")
    var workers: Int?

    @Flag(help: "Continue a run that was killed: keep the shards it finished, write the rest. Needs --shards. With --overwrite: a killed overwrite.")
    var resume = false

    /// The worker slot from the flag or the environment, or nil for a one-process run.
    func slot() throws -> WorkerSlot? {
        if let worker { return try WorkerSlot(parsing: worker) }
        return try WorkerSlot.fromEnvironment(ProcessInfo.processInfo.environment, workers: workers)
    }

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if resume && worker != nil {
            throw ValidationError("--resume is for one-process runs; a rerun worker resumes by itself")
        }
    }
}

// The enums the options take, parsed by swift-argument-parser from their raw values (help lists them).
extension DatasetFormat: ExpressibleByArgument {}
extension Compression: ExpressibleByArgument {}
extension ImageEncoding: ExpressibleByArgument {}
extension LearningRateShape: ExpressibleByArgument {}
extension DigitLayout: ExpressibleByArgument {}
extension EMNISTSubset: ExpressibleByArgument {}
