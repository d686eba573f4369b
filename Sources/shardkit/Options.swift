import ArgumentParser

/// Options every long-running command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print no progress; only results and errors.")
    var quiet = false
}
