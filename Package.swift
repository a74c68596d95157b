// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "idr",
    products: [
        .library(name: "IdentityResolution", targets: ["IdentityResolution"]),
        // libidr.so: the C ABI of include/idr.h.
        .library(name: "idr", type: .dynamic, targets: ["IdentityResolutionCABI"]),
        .executable(name: "idr-bench", targets: ["IdentityBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libxxhash from the system (Debian: libxxhash-dev). All hashing in idr is XXH3 from here.
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        // The core engine: normalization, keys, guards, linking. No Foundation.
        .target(
            name: "IdentityResolution",
            dependencies: ["CXXHash"]
        ),
        // include/idr.h as a Clang module, so Swift can implement it (`@c @implementation`).
        .systemLibrary(name: "CIDR", path: "include"),
        // The C ABI: thin thunks over the core, one file per section of idr.h. No Foundation.
        // The version script keeps every symbol but `idr_*` out of libidr.so's dynamic table.
        .target(
            name: "IdentityResolutionCABI",
            dependencies: ["IdentityResolution", "CIDR"],
            exclude: ["exports.map"],
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/IdentityResolutionCABI/exports.map"]),
            ]
        ),
        // zlib from the system (Debian: zlib1g-dev), for gzip input.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Byte-level file formats for bulk work (CSV, JSON Lines, gzip). No Foundation.
        .target(
            name: "IdentityFiles",
            dependencies: ["IdentityResolution", "CZlib"]
        ),
        .executableTarget(
            name: "IdentityBench",
            dependencies: [
                "IdentityResolution",
                "IdentityFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/IdentityBench"
        ),
        // libFuzzer targets over the Swift-only inputs (CSV, JSON Lines, normalizers); built
        // normally it replays files (bindings/c/fuzz/run.sh, make test).
        .executableTarget(
            name: "idr-fuzz",
            dependencies: ["IdentityResolution", "IdentityFiles"],
            path: "Tests/Fuzz"
        ),
        .testTarget(
            name: "IdentityResolutionTests",
            dependencies: ["IdentityResolution"]
        ),
        .testTarget(
            name: "IdentityFilesTests",
            dependencies: ["IdentityFiles", "IdentityResolution"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
