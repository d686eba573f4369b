// swift-tools-version: 6.1
// ShardKit: dataset preparation and TFRecord shards in Swift. See README.md and ../shared/design/ARCHITECTURE.md.
import PackageDescription

/// Every Swift target opts into the same upcoming features, so imports are explicit and
/// C types stay out of public signatures.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ShardKit",
    products: [
        .executable(name: "shardkit", targets: ["shardkit"]),
        // One product per public module, so a user can take the TFRecord layer alone (no libhdf5,
        // no OpenBLAS), or the whole toolkit.
        // The kernel tier in force and the seeded generator (public); its other helpers are
        // `package`-only, shared by our own modules.
        .library(name: "ShardKitSupport", targets: ["ShardKitSupport"]),
        .library(name: "RecordIO", targets: ["RecordIO"]),
        .library(name: "Examples", targets: ["Examples"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Glyphs", targets: ["Glyphs"]),
        .library(name: "Shards", targets: ["Shards"]),
        .library(name: "Formats", targets: ["Formats"]),
        .library(name: "Synth", targets: ["Synth"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Trainer", targets: ["Trainer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: C libraries and shims (implementation only; never in a public signature)
        // The one place that decides, from the CPU and SHARDKIT_ISA, which kernel tier runs.
        .target(name: "CShardKitCPU"),
        .target(name: "CShardKitCRC32C", dependencies: ["CShardKitCPU"]),
        // Our deflate encoder for PNG scanlines and the PNG row filters (used by Imaging's PNGWriter),
        // and the fast PNG decoder for common 8-bit files (inflate by libdeflate, unfiltering).
        .target(name: "CShardKitDeflate", dependencies: ["CShardKitLibdeflate"]),
        // The GEMM kernels per tier; the register tiles unroll through `#pragma clang loop unroll(full)`,
        // so the default release optimisation (-O2) gives them full speed (measured: same as -O3).
        .target(name: "CShardKitConvKernels", dependencies: ["CShardKitCPU"]),
        .systemLibrary(name: "CShardKitZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CShardKitPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libdeflate inflates whole PNG streams into exactly sized buffers, faster than zlib's inflate.
        .systemLibrary(name: "CShardKitLibdeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(name: "CShardKitJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        .systemLibrary(name: "CShardKitHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CShardKitOpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // OpenSSL's SHA-256 uses the SHA extensions of the CPU: shard checksums at GB/s.
        .systemLibrary(name: "CShardKitOpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // FreeType draws the CJK labels of contact sheets (HWDB) from a Debian font.
        .systemLibrary(name: "CShardKitFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        // libarchive reads the archives datasets ship as (tar, .tar.gz, zip) as streams (Formats'
        // ArchiveReader). Loaded with dlopen when the first archive is opened (its headers from
        // libarchive-dev, the library libarchive13): it and what it links weigh 3.7 MB of RSS.
        .target(name: "CShardKitArchive", linkerSettings: [.linkedLibrary("dl")]),
        // Child processes that run this same executable again (posix_spawn of /proc/self/exe,
        // and a constructor that runs the child's job instead of `main`): libhdf5 on untrusted files.
        .target(name: "CShardKitIsolation"),

        // MARK: Library modules, lowest first; each imports only those above it in this list.
        // Helpers shared by our own modules with `package` access: CPU features and the kernel tier.
        .target(name: "ShardKitSupport", dependencies: ["CShardKitCPU"], swiftSettings: strictSettings),
        .target(name: "RecordIO", dependencies: ["ShardKitSupport", "CShardKitCRC32C", "CShardKitZlib", "CShardKitOpenSSL"], swiftSettings: strictSettings),
        .target(name: "Examples", dependencies: ["ShardKitSupport"], swiftSettings: strictSettings),
        .target(name: "Imaging", dependencies: ["ShardKitSupport", "CShardKitPNG", "CShardKitJPEG", "CShardKitZlib", "CShardKitDeflate"], swiftSettings: strictSettings),
        // Text drawn with FreeType (contact-sheet labels in any script): its own module, so that
        // Imaging's users (Synth, Formats, Trainer, a library user) need no FreeType and no fonts.
        .target(name: "Glyphs", dependencies: ["ShardKitSupport", "Imaging", "CShardKitFreeType"], swiftSettings: strictSettings),
        .target(name: "Synth", dependencies: ["ShardKitSupport", "Imaging"], swiftSettings: strictSettings),
        .target(
            name: "Formats", dependencies: ["ShardKitSupport", "Imaging", "CShardKitHDF5", "CShardKitZlib", "CShardKitArchive", "CShardKitIsolation", "RecordIO"],
            swiftSettings: strictSettings),
        // Datasets of shards: the sharded writer, the typed manifest and TFDS side files, the one
        // crash-safety mechanism, and inspect/verify/contact sheets beside them.
        .target(
            name: "Shards", dependencies: ["ShardKitSupport", "RecordIO", "Examples", "Imaging", "Glyphs"],
            swiftSettings: strictSettings),
        .target(
            name: "Pipeline",
            dependencies: ["ShardKitSupport", "Shards", "Formats", "Synth", "Imaging", "Examples", "RecordIO"],
            swiftSettings: strictSettings),
        .target(
            name: "Trainer", dependencies: ["ShardKitSupport", "Shards", "Imaging", "Examples", "RecordIO", "CShardKitOpenBLAS", "CShardKitConvKernels"],
            swiftSettings: strictSettings),

        // MARK: The command-line tool: argument parsing over the library, no logic of its own.
        .executableTarget(
            name: "shardkit",
            dependencies: [
                "Pipeline", "Shards", "Trainer", "Formats", "Synth", "Imaging", "Examples", "RecordIO", "ShardKitSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),

        // MARK: Tests mirror modules.
        .target(name: "TestSupport", dependencies: ["RecordIO"], path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "ShardKitSupportTests", dependencies: ["ShardKitSupport", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ShardsTests", dependencies: ["Shards", "Pipeline", "RecordIO", "Examples", "Imaging", "Glyphs", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "RecordIOTests", dependencies: ["RecordIO", "ShardKitSupport", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ExamplesTests", dependencies: ["Examples", "TestSupport"], exclude: ["make_vectors.py"],
            swiftSettings: strictSettings),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "GlyphsTests", dependencies: ["Glyphs", "Imaging", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Imaging", "TestSupport", "ShardKitSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "FormatsTests", dependencies: ["Formats", "Imaging", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "Shards", "Formats", "Synth", "Imaging", "Examples", "RecordIO", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TrainerTests",
            dependencies: ["Trainer", "Shards", "ShardKitSupport", "Imaging", "Examples", "RecordIO", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "ShardKitCLITests", dependencies: ["shardkit", "TestSupport", "ShardKitSupport"], exclude: ["shard-sha256.json"],
            swiftSettings: strictSettings),
    ]
)
