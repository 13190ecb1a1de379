/// One problem found in a manifest: where it is, what is wrong and what is expected.
///
/// Diagnostics are values; renderers turn them into compiler-style text, JSON or
/// GitHub Actions annotations (see ``DiagnosticRenderer``).
public struct Diagnostic: Sendable, Hashable, Codable {
    /// How serious a diagnostic is. Only errors make `sluice validate` fail.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    /// The file the problem is in, as the user named it.
    public var file: String
    /// Where in the file.
    public var location: SourceLocation
    /// How serious it is.
    public var severity: Severity
    /// A stable machine-readable kind, such as `unknown-field` (see ``DiagnosticCode``).
    public var code: DiagnosticCode
    /// The dotted path of the field concerned (`spec.versions[1].name`), empty for the document.
    public var fieldPath: String
    /// A sentence saying what is wrong and what is expected.
    public var message: String

    /// Creates a diagnostic.
    public init(
        file: String, location: SourceLocation, severity: Severity = .error,
        code: DiagnosticCode, fieldPath: String = "", message: String
    ) {
        self.file = file
        self.location = location
        self.severity = severity
        self.code = code
        self.fieldPath = fieldPath
        self.message = message
    }
}

extension Diagnostic: Comparable {
    /// Orders by file, then position, then message, so output is stable across runs.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        if lhs.file != rhs.file { return lhs.file < rhs.file }
        if lhs.location != rhs.location { return lhs.location < rhs.location }
        return lhs.message < rhs.message
    }
}
