import ArgumentParser

/// The `shardkit` command: a thin shell over the library modules. Each subcommand lives in its
/// own file; shared option groups live in `Options.swift`; exit codes in `ExitCodes.swift`.
@main
struct ShardKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shardkit",
        abstract: "Turn raw vision datasets into sharded, CRC-checked TFRecord files, and look inside them.",
        discussion: """
            Exit codes: 0 success; 1 verify found bad records or a manifest mismatch, or repair dropped records; 64 usage \
            error; 65 malformed input data; 66 input missing or unreadable; 70 internal error; 73 \
            the output already holds a dataset (--overwrite replaces it); 74 output could not be written; 75 another run is \
            writing into the same output; 130 and 143 stopped by SIGINT or SIGTERM.
            """,
        version: VersionText.text,
        subcommands: [
            Convert.self,
            Commit.self,
            Eval.self,
            Generate.self,
            Get.self,
            Inspect.self,
            Predict.self,
            Repair.self,
            SynthCommand.self,
            Train.self,
            Verify.self,
        ]
    )
}
