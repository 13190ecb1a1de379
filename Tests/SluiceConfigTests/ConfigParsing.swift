@testable import SluiceServe

/// Parses serve configs given as text, as if read from `/etc/sluice/sluice.yaml`.
protocol ServeConfigParsing {}

extension ServeConfigParsing {
    func parse(_ text: String) throws(ServeConfigError) -> ServeConfig {
        try ServeConfig.parse(Array(text.utf8), file: "sluice.yaml", baseDirectory: "/etc/sluice")
    }

    /// The problems a config has, each `file:line:col: message`; empty when it loads.
    func problems(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch {
            return error.problems
        }
    }
}
