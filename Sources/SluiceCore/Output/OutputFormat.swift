/// The report formats of `sluice validate`.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Compiler style: `path:line:col: error: message`, the source line and a caret.
    case text
    /// One JSON document for tools.
    case json
    /// GitHub Actions workflow commands, which annotate a pull request's diff.
    case github
}
