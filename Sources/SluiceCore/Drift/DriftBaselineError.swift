/// Why a baseline document is refused: where (a line and column for JSON syntax, a
/// field path such as `features.amount.proportions` otherwise) and what is expected.
public struct DriftBaselineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending field's path; empty for the document itself or a syntax error.
    public var path: String
    /// 1-based line of a JSON syntax error.
    public var line: Int?
    /// 1-based column of a JSON syntax error.
    public var column: Int?
    /// What is wrong and what is expected.
    public var message: String

    /// An error at a field.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// A JSON syntax error.
    public init(syntax: JSONParser.SyntaxError) {
        self.path = ""
        self.line = syntax.line
        self.column = syntax.column
        self.message = syntax.message
    }

    /// `line 3, column 7: message` for syntax, `path: message` for fields.
    public var description: String {
        if let line, let column { return "line \(line), column \(column): \(message)" }
        return path.isEmpty ? message : "\(path): \(message)"
    }
}
