// swift-tools-version:6.2
import PackageDescription

// A separate package so CI's build of the root package never compiles the benchmark, and
// swift-prometheus (measured here) is not a dependency of Sluice itself.
let package = Package(
    name: "GatewayMetricsBench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "sluice", path: "../.."),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "gateway-metrics-bench",
            dependencies: [
                .product(name: "SluiceServe", package: "sluice"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // Top-level globals shared by the measuring threads: a benchmark, not a library.
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
