// swift-tools-version: 6.1
// Throughput benchmarks, kept out of the main build (as swift-nio does) and run by `make bench`,
// always in release mode. Each executable prints `RESULT name=… value=… unit=…` lines in the
// format of ../shared/anchors, so scripts/bench.sh can put ours and theirs side by side.
import PackageDescription

let package = Package(
    name: "ShardKitBenchmarks",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "bench-recordio", dependencies: [.product(name: "ShardKit", package: "ShardKit")]),
        .executableTarget(name: "bench-examples", dependencies: [.product(name: "ShardKit", package: "ShardKit")]),
        .executableTarget(name: "bench-shards", dependencies: [.product(name: "ShardKit", package: "ShardKit")]),
        .executableTarget(name: "bench-imaging", dependencies: [.product(name: "ShardKit", package: "ShardKit")]),
        .executableTarget(name: "bench-trainer", dependencies: [.product(name: "ShardKit", package: "ShardKit")]),
    ]
)
