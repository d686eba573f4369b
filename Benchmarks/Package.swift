// swift-tools-version: 6.1
// ShardKit's benchmarks: release-only executables run by `make bench` (scripts/bench.sh); each
// prints `RESULT name=… value=… unit=…` lines in the format of ../shared/anchors. A package of
// their own, depending on ShardKit by path, so that `swift build` of ShardKit compiles none of them.
import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

func shardKit(_ names: String...) -> [Target.Dependency] {
    names.map { .product(name: $0, package: "ShardKit") }
}

let package = Package(
    name: "ShardKitBenchmarks",
    dependencies: [.package(name: "ShardKit", path: "..")],
    targets: [
        .executableTarget(
            name: "bench-recordio", dependencies: shardKit("RecordIO", "Shards", "ShardKitSupport"),
            path: "bench-recordio", swiftSettings: settings),
        .executableTarget(
            name: "bench-examples", dependencies: shardKit("Examples"), path: "bench-examples", swiftSettings: settings),
        .executableTarget(
            name: "bench-shards", dependencies: shardKit("Shards", "Examples", "RecordIO"),
            path: "bench-shards", swiftSettings: settings),
        .executableTarget(
            name: "bench-imaging", dependencies: shardKit("Imaging", "Synth", "ShardKitSupport"), path: "bench-imaging",
            exclude: ["pil_png.py", "pil_cpu.py"], swiftSettings: settings),
        .executableTarget(
            name: "bench-trainer", dependencies: shardKit("Trainer", "ShardKitSupport"), path: "bench-trainer",
            swiftSettings: settings),
    ]
)
