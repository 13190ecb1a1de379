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
        .library(name: "SluiceConfig", targets: ["SluiceConfig"]),
        .library(name: "SluiceServe", targets: ["SluiceServe"]),
        .library(name: "SluicePrometheus", targets: ["SluicePrometheus"]),
        .library(name: "SluiceKubernetes", targets: ["SluiceKubernetes"]),
        .library(name: "SluiceArtifacts", targets: ["SluiceArtifacts"]),
        .library(name: "SluiceController", targets: ["SluiceController"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The admin and controller APIs (the gateway keeps its own NIO path). Without the
        // swift-configuration trait: Sluice reads its config itself.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The one HTTP client (Prometheus now; Kubernetes, webhooks and artifact stores later).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Already in the graph through swift-nio: the gateway's per-version cap on mirrored
        // copies in flight is one atomic counter, no lock on the request path.
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        // The gateway's gRPC listener and its upstream connections: h2c framing only (the few
        // protobuf fields it reads are hand-decoded; no grpc-swift or swift-protobuf).
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    ],
    targets: [
        // The system libgit2 through pkg-config; only SluiceGit (the git source issue) imports it.
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        // The system zlib (inflate only): SluiceArtifacts unpacks .tar.gz and .zip artifacts with it.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Pure logic: manifest model, YAML composition with positions, validation, schema.
        .target(
            name: "SluiceCore",
            // Crypto for SHA-256 and constant-time comparison: pure computation, never hand-written.
            dependencies: [.product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The git source: the only importer of CLibGit2; returns value types. CSluiceSpawn runs
        // gpg and ssh-keygen, which check and make commit signatures.
        .target(
            name: "SluiceGit",
            dependencies: ["SluiceCore", "CLibGit2", "CSluiceSpawn", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The one reader of the operator's sluice.yaml (schema-driven) and of the secrets it names.
        .target(
            name: "SluiceConfig",
            // SluiceGit for RepositoryLocation: `controller.repository` is parsed once, here.
            dependencies: ["SluiceCore", "SluiceGit"],
            swiftSettings: strictSettings
        ),
        // Hashing artifacts on disk (a file's sha256, a directory's digest): shared by the data
        // plane's pin check, the artifact cache and `sluice artifact digest`.
        .target(
            name: "SluiceFileDigest",
            dependencies: ["SluiceCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // fork/exec with a parent-death signal: Foundation.Process cannot set one.
        .target(name: "CSluiceSpawn"),
        // sys/epoll.h and sys/eventfd.h, which Glibc's module leaves out: the gateway's own loop.
        .target(name: "CSluiceEpoll"),
        // The data plane: supervisor, gateway, admin API, per-version statistics.
        .target(
            name: "SluiceServe",
            dependencies: [
                "SluiceCore",
                "SluiceConfig",
                "SluiceFileDigest",
                "CSluiceSpawn",
                "CSluiceEpoll",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            // Runtime exclusivity checks stay on: turning them off measured about -2.7% CPU per
            // gateway request, inside the round-to-round spread (Benchmarks/README.md, hot path
            // slice 4), not worth a memory-safety check on the path that reads hostile input.
            swiftSettings: strictSettings
        ),
        // The controller's state: SQLite through GRDB (WAL, migrations).
        .target(
            name: "SluiceStore",
            dependencies: ["SluiceCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // The metrics provider: PromQL instant queries over Prometheus' HTTP API (HTTPS, custom CA, bearer token).
        .target(
            name: "SluicePrometheus",
            dependencies: [
                "SluiceCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The kubernetes backend: the API client (server-side apply, list and watch, leases)
        // over AsyncHTTPClient, and the renderers of each driver (gateway-api, kserve).
        .target(
            name: "SluiceKubernetes",
            dependencies: [
                "SluiceCore", "SluiceConfig",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Artifacts kept outside git: sources (S3 with SigV4, HTTPS, an MLflow registry) over
        // AsyncHTTPClient and the content-addressed cache they fill.
        .target(
            name: "SluiceArtifacts",
            dependencies: [
                "SluiceCore", "SluiceConfig", "SluiceFileDigest", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The control plane: the only target that combines adapters (git, store, data plane, metrics provider).
        .target(
            name: "SluiceController",
            dependencies: [
                "SluiceCore", "SluiceConfig", "SluiceGit", "SluiceStore", "SluiceServe", "SluicePrometheus", "SluiceKubernetes", "SluiceArtifacts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore",
                "SluiceConfig",
                "SluiceGit",
                "SluiceServe",
                "SluiceController",
                "SluiceKubernetes",
                "SluiceArtifacts",
                "SluiceFileDigest",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The drift benchmark's driver (Benchmarks/README.md): a target of this package so that
        // every build, CI's included, compiles it; it runs by hand, in release.
        .executableTarget(
            name: "drift-bench", dependencies: ["SluiceCore"], path: "Benchmarks/DriftBench/Sources/drift-bench",
            swiftSettings: strictSettings
        ),
        // The floor of a NIO reverse proxy (Benchmarks/README.md, hot path slice 8): compiled by
        // every build like drift-bench (NIO only, one file), run by hand in release by gateway-cpu.sh.
        .executableTarget(
            name: "gateway-floor",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/GatewayFloor/Sources/gateway-floor", swiftSettings: strictSettings
        ),
        // The same floor with no NIO: its own epoll loop per thread (Benchmarks/README.md, hot
        // path slice 52), Glibc only, beside the NIO floor in gateway-cpu.sh.
        .executableTarget(
            name: "gateway-floor-epoll", dependencies: ["CSluiceEpoll"], path: "Benchmarks/GatewayFloorEpoll/Sources/gateway-floor-epoll",
            swiftSettings: strictSettings
        ),
        // Fixtures are read from the source tree by path, so they are not bundled as resources.
        .testTarget(
            name: "SluiceCoreTests", dependencies: ["SluiceCore", "SluiceTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]),
        // Real git repositories in temporary directories, shared by the git and CLI tests; the
        // fake data plane (real traffic statistics and monitoring buckets from scripted traffic);
        // a real Prometheus server (its readiness probe goes through AsyncHTTPClient, for HTTPS too).
        .target(
            name: "SluiceTestSupport",
            dependencies: [
                "SluiceCore", "SluiceServe", "CSluiceSpawn", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The fake Kubernetes API server reuses KubernetesObject, ResourceKind and JSONValue.
                "SluiceKubernetes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/SluiceTestSupport"
        ),
        .testTarget(name: "SluiceGitTests", dependencies: ["SluiceGit", "SluiceCore", "SluiceTestSupport"]),
        .testTarget(name: "SluiceStoreTests", dependencies: ["SluiceStore", "SluiceCore"], exclude: ["Fixtures"]),
        .testTarget(
            name: "SluiceControllerTests",
            dependencies: [
                "SluiceController", "SluiceConfig", "SluiceServe", "SluiceCore", "SluiceGit", "SluiceStore", "SluiceTestSupport", "SluiceKubernetes",
                "SluiceArtifacts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Fixtures (the gRPC test client) are read by path, not bundled.
        .testTarget(
            name: "SluiceServeTests",
            dependencies: [
                "SluiceServe", "SluiceConfig", "SluiceCore", "SluiceTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"]
        ),
        // A real Prometheus (SluiceTestSupport's PrometheusServer) and a loopback fake for what it cannot do (bearer tokens, hostile answers).
        .testTarget(
            name: "SluicePrometheusTests",
            dependencies: [
                "SluicePrometheus", "SluiceCore", "SluiceTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Rendering (golden files), the schema contract (vendored published schemas) and the wire
        // contract against the loopback fake API server in SluiceTestSupport.
        .testTarget(
            name: "SluiceKubernetesTests",
            dependencies: [
                "SluiceKubernetes", "SluiceConfig", "SluiceCore", "SluiceTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Fixtures"]
        ),
        // Real peers on loopback: moto_server (S3 with SigV4), an HTTPS server with a throwaway
        // CA, an mlflow server; plus the cache's crash and eviction behaviour on a real disk.
        .testTarget(
            name: "SluiceArtifactsTests",
            dependencies: [
                "SluiceArtifacts", "SluiceConfig", "SluiceCore", "SluiceFileDigest", "SluiceTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Fixtures"]
        ),
        // Fixtures (a corpus of invalid sluice.yaml files) are read by path, not bundled.
        .testTarget(name: "SluiceConfigTests", dependencies: ["SluiceConfig", "SluiceCore"], exclude: ["Fixtures"]),
        // Fixtures are read by path (python runtimes, drift data), not bundled.
        .testTarget(
            name: "sluiceTests",
            dependencies: [
                "sluice", "SluiceCore", "SluiceGit", "SluiceTestSupport", "SluiceKubernetes",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Fixtures"]
        ),
    ]
)

// libFuzzer targets (docs/fuzzing.md), only when scripts/fuzz.sh sets SLUICE_FUZZ: the normal
// build and tests never see them. They live in this package so the HTTP target can reach the
// server's package-level pipeline.
if Context.environment["SLUICE_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzManifest", ["SluiceCore"]),
        ("FuzzInference", ["SluiceCore"]),
        ("FuzzFeedback", ["SluiceCore"]),
        ("FuzzRuntimeSpec", ["SluiceCore"]),
        ("FuzzBaseline", ["SluiceCore"]),
        ("FuzzHTTP", [
            "SluiceServe",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
    ]
    // main.swift of each target hands its LLVMFuzzerTestOneInput to libFuzzer's driver.
    package.targets.append(.target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"))
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies + ["CFuzzDriver"], path: "Fuzz/\(target.name)",
                swiftSettings: strictSettings))
    }
}

// The zero-warnings guard: with SLUICE_WARNINGS_AS_ERRORS=1 (scripts/test.sh sets it, so CI
// does) a compiler warning in our own targets is an error, on every build, incremental or not.
// Dependencies are unaffected (SwiftPM builds them with warnings suppressed). Off by default:
// a package with unsafe flags cannot be depended upon, and a newer compiler's new warning
// should not stop a user's release build.
if Context.environment["SLUICE_WARNINGS_AS_ERRORS"] == "1" {
    for target in package.targets where target.type != .system && target.type != .binary && target.type != .plugin {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-warnings-as-errors"])]
    }
}
