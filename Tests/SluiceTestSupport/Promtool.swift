import Foundation

/// Prometheus' own checker of an exposition, `promtool check metrics`, run on real output.
///
/// Tests that need it are enabled when it is installed or when `CI` is set, and then fail
/// (never skip) when it is missing: `try #require(Promtool.path)`.
public enum Promtool {
    /// The promtool binary, or nil when it is not installed.
    public static let path: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return directories.map { $0 + "/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether tests needing promtool must run (CI sets `CI`).
    public static var required: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// Whether tests needing promtool run: it is installed, or it must be.
    public static var enabled: Bool { path != nil || required }

    /// `promtool check metrics` on `text` (read from stdin): its exit status and everything
    /// it printed. Success is status 0 with nothing printed: lint findings count as failures.
    public static func checkMetrics(_ text: String, promtool: String) async throws -> (status: Int32, output: String) {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID().uuidString).prom")
        try Data(text.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try await ChildProcess.run(URL(fileURLWithPath: promtool), ["check", "metrics"], input: input)
        return (result.status, result.output)
    }
}
