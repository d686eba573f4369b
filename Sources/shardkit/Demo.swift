import ArgumentParser

/// Placeholder for `make demo` until the record layer lands; replaced by the real demo job.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Write, inspect and verify a few shards of generated records.")
    func run() throws {
        print("shardkit demo: nothing to do yet")
    }
}
