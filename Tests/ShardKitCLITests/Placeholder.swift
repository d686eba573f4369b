// Tests for the ShardKitCLI module.
