import Foundation
import SluiceConfig
import Testing

/// Parses configs given as text, as if read from `/etc/sluice/sluice.yaml`.
protocol ConfigParsing {}

extension ConfigParsing {
    /// The whole file.
    func configuration(_ text: String) throws(ConfigError) -> SluiceConfiguration {
        try SluiceConfiguration.parse(Array(text.utf8), file: "sluice.yaml", baseDirectory: "/etc/sluice")
    }

    /// The data plane's part.
    func parse(_ text: String) throws(ConfigError) -> ServeConfig {
        try configuration(text).serve
    }

    /// The problems a config has, each `file:line:col: field: message`; empty when it loads.
    func problems(_ text: String) -> [String] {
        do {
            _ = try configuration(text)
            return []
        } catch {
            return error.problems
        }
    }

    /// The `controller:` section of the file at `path`.
    func loadController(_ path: String) throws(ConfigError) -> ControllerConfig {
        try SluiceConfiguration.load(path: path).controller()
    }

    /// The problems loading the controller's section of `path` reports, one per line;
    /// records an issue when it loads.
    func reportedProblems(_ path: String) -> String {
        do {
            _ = try loadController(path)
            Issue.record("a bad config was accepted")
            return ""
        } catch {
            return error.problems.joined(separator: "\n")
        }
    }

    /// Writes `text` as `sluice.yaml` in a new temporary directory and returns its path.
    func write(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("sluice.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Paths of the package, found from this source file so tests run from any directory.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
