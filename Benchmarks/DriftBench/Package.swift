// swift-tools-version:6.1
import PackageDescription

// A separate package so CI's build of the root package never compiles the benchmark.
let package = Package(
    name: "DriftBench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "sluice", path: "../..")],
    targets: [
        .executableTarget(
            name: "drift-bench",
            dependencies: [.product(name: "SluiceCore", package: "sluice")]
        ),
    ]
)
