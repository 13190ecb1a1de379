import SluiceCore

/// A `sluice.yaml` that cannot be used: every problem with its file, position and field,
/// and what is expected.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The problems in document order.
    public var diagnostics: [Diagnostic]

    /// Creates an error from diagnostics.
    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// A problem with the file as a whole (unreadable, no `controller:` section).
    init(file: String, _ code: DiagnosticCode, _ message: String) {
        diagnostics = [Diagnostic(file: file, location: .start, code: code, message: message)]
        wholeFile = true
    }

    /// Whether the problem concerns the whole file, so no position is shown.
    private var wholeFile = false

    /// One line per problem: `file:line:col: field: message` (`file: message` for the whole file).
    public var problems: [String] {
        diagnostics.map { diagnostic in
            if wholeFile { return "\(diagnostic.file): \(diagnostic.message)" }
            // A message that names its field already (a cron schedule's column) is not prefixed twice.
            let named = diagnostic.fieldPath.isEmpty || diagnostic.message.hasPrefix(diagnostic.fieldPath + ": ")
            let field = named ? "" : "\(diagnostic.fieldPath): "
            return "\(diagnostic.file):\(diagnostic.location.line):\(diagnostic.location.column): \(field)\(diagnostic.message)"
        }
    }

    public var description: String { problems.joined(separator: "\n") }
}

extension DiagnosticCode {
    /// The config file cannot be read.
    static let unreadable = DiagnosticCode(rawValue: "unreadable")
}
