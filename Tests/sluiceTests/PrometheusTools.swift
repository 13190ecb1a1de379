import Foundation
import SluiceTestSupport
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
    static func run(_ tool: URL, _ arguments: [String], in directory: URL) async throws -> Run {
        let result = try await ChildProcess.run(tool, arguments, in: directory)
        return Run(status: result.status, output: result.output)
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
