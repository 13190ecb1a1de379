import Foundation
import Testing

/// The `prometheus` and `promtool` executables (Debian's `prometheus` package, installed by
/// scripts/setup.sh), found on PATH.
enum PrometheusTools {
    static let prometheus = find("prometheus")
    static let promtool = find("promtool")

    /// Whether tests needing them run: when both are installed, and always under CI, where a
    /// missing binary must fail the run instead of skipping it.
    static var shouldRun: Bool {
        (prometheus != nil && promtool != nil) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// The tool, or an error saying how to install it.
    static func require(_ tool: URL?, _ name: String) throws -> URL {
        guard let tool else { throw HarnessError("\(name) is not on PATH: scripts/setup.sh installs Debian's prometheus package") }
        return tool
    }

    /// What a tool printed (stdout and stderr together) and its exit status.
    struct Run {
        var status: Int32
        var output: String
    }

    /// Runs `tool` in `directory` and waits; output goes to a file, so it can never block a pipe.
    static func run(_ tool: URL, _ arguments: [String], in directory: URL) throws -> Run {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return Run(status: process.terminationStatus, output: try String(contentsOf: log, encoding: .utf8))
    }

    private static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").lazy.map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs when prometheus and promtool are installed, and always under CI (where a missing
    /// binary fails the test rather than skipping it).
    static var needsPrometheus: Self {
        .enabled(if: PrometheusTools.shouldRun, "needs prometheus and promtool (scripts/setup.sh); required under CI")
    }
}
