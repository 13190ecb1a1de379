// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceGit", targets: ["SluiceGit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // The system libgit2 through pkg-config; only SluiceGit (the git source issue) imports it.
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        // Pure logic: manifest model, YAML composition with positions, validation, schema.
        .target(
            name: "SluiceCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // The git source: the only importer of CLibGit2; returns value types.
        .target(
            name: "SluiceGit",
            dependencies: ["SluiceCore", "CLibGit2"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore",
                "SluiceGit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Fixtures are read from the source tree by path, so they are not bundled as resources.
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"], exclude: ["Fixtures"]),
        // Real git repositories in temporary directories, shared by the git and CLI tests.
        .target(name: "SluiceTestSupport", path: "Tests/SluiceTestSupport"),
        .testTarget(name: "SluiceGitTests", dependencies: ["SluiceGit", "SluiceCore", "SluiceTestSupport"]),
        .testTarget(name: "sluiceTests", dependencies: ["sluice", "SluiceCore", "SluiceTestSupport"]),
    ]
)
