// swift-tools-version: 6.1
// ShardKit's libFuzzer harnesses: a package of its own, so `swift build` of the root builds none of
// them. Each harness is one executable target exporting `LLVMFuzzerTestOneInput`; libFuzzer brings
// `main`. Build and run them with scripts/fuzz.sh (which passes `-sanitize=fuzzer,address`), not
// with a plain `swift build` here: without the fuzzer runtime the executables have no entry point.
import PackageDescription

/// The harnesses: target name, then the root package's library products it calls.
let harnesses: [(name: String, products: [String])] = [
    ("fuzz-tfrecord", ["RecordIO"]),
    ("fuzz-example", ["Examples"]),
    ("fuzz-idx", ["Formats"]),
    ("fuzz-cifar", ["Formats"]),
    ("fuzz-gnt", ["Formats"]),
    ("fuzz-digitstruct", ["Formats"]),
    ("fuzz-png", ["Imaging"]),
    ("fuzz-jpeg", ["Imaging"]),
    ("fuzz-safetensors", ["Trainer"]),
    ("fuzz-manifest", ["Shards"]),
    ("fuzz-dataset-info", ["Shards", "RecordIO", "Examples"]),
    ("fuzz-augment-spec", ["Imaging"]),
    ("fuzz-svhn-cropped", ["Formats"]),
    ("fuzz-folder", ["Formats", "Imaging"]),
    ("fuzz-archive", ["Formats"]),
]

let package = Package(
    name: "ShardKitFuzz",
    dependencies: [.package(name: "ShardKit", path: "..")],
    targets: [
        // What the harnesses share: a scratch file for the readers that take a path.
        .target(name: "FuzzSupport"),
        // The checks every raw-format reader gets (order, skip against sequential reads).
        .target(
            name: "FormatsFuzzing", dependencies: ["FuzzSupport", .product(name: "Formats", package: "ShardKit")]),
    ]
        + harnesses.map { harness in
            .executableTarget(
                name: harness.name,
                dependencies: ["FuzzSupport"] + (harness.products.contains("Formats") ? ["FormatsFuzzing"] : [])
                    + harness.products.map { .product(name: $0, package: "ShardKit") })
        }
)
