import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import Testing

/// The driver of Benchmarks/artifacts-s3.sh: fetches `SLUICE_BENCH_URI` from
/// `SLUICE_BENCH_ENDPOINT` into `SLUICE_BENCH_OUT` with S3Source (files written as they stream,
/// 8 downloads at once for a prefix) and prints one `SLUICE_BENCH` line with the bytes, files,
/// seconds and the process's peak RSS. Runs only with SLUICE_BENCH=1.
@Suite("S3 fetch benchmark driver", .enabled(if: ProcessInfo.processInfo.environment["SLUICE_BENCH"] == "1", "SLUICE_BENCH=1 only"), .timeLimit(.minutes(10)))
struct S3BenchmarkTests {
    @Test("fetch SLUICE_BENCH_URI into SLUICE_BENCH_OUT")
    func fetch() async throws {
        let environment = ProcessInfo.processInfo.environment
        let uri = try #require(environment["SLUICE_BENCH_URI"])
        let output = URL(fileURLWithPath: try #require(environment["SLUICE_BENCH_OUT"]))
        var config = ArtifactsConfig.S3()
        config.endpoint = environment["SLUICE_BENCH_ENDPOINT"]
        let source = try S3Source(config: config, timeout: .seconds(60), environment: environment, client: HTTPClient.shared)
        let reference = ArtifactReference.parse(uri)
        let started = ContinuousClock.now
        let resolved = try await source.resolve(reference)
        let pending = NIOLockedValueBox(resolved.files[...])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(8, resolved.files.count) {
                group.addTask {
                    while let file = pending.withLockedValue({ $0.popFirst() }) {
                        let target = file.path.isEmpty ? output.appendingPathComponent("object") : output.appendingPathComponent(file.path)
                        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                        let sink = try BenchFileSink(target)
                        try await source.download(file, from: 0, into: sink)
                        try sink.close()
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let bytes = resolved.files.reduce(Int64(0)) { $0 + ($1.size ?? 0) }
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        print("SLUICE_BENCH bytes=\(bytes) files=\(resolved.files.count) seconds=\(seconds) maxrss_kb=\(usage.ru_maxrss)")
    }
}

/// Writes a download to a file as it streams (the benchmark's stand-in for the cache's sink).
final class BenchFileSink: ArtifactSink, @unchecked Sendable {
    private let handle: FileHandle
    private let url: URL

    init(_ url: URL) throws {
        self.url = url
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: ByteBuffer) async throws {
        try bytes.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
    }

    func restart() async throws {
        try handle.truncate(atOffset: 0)
    }

    func close() throws { try handle.close() }
}
