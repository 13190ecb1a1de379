/// Renders a ``ValidationReport`` as text, JSON or GitHub Actions annotations.
public struct DiagnosticRenderer: Sendable {
    /// Returns the text of a line of a file (1-based), for the source excerpt; nil when unknown.
    public typealias SourceLines = @Sendable (_ file: String, _ line: Int) -> String?

    /// The format.
    public var format: OutputFormat
    /// Where source lines come from.
    public var sourceLines: SourceLines

    /// Creates a renderer.
    public init(format: OutputFormat, sourceLines: @escaping SourceLines = { _, _ in nil }) {
        self.format = format
        self.sourceLines = sourceLines
    }

    /// The whole report, ending with a newline.
    public func render(_ report: ValidationReport) -> String {
        switch format {
        case .text: return renderText(report)
        case .json: return renderJSON(report).serialized(indent: 2) + "\n"
        case .github: return renderGitHub(report)
        }
    }

    func renderText(_ report: ValidationReport) -> String {
        var output = ""
        for diagnostic in report.diagnostics {
            let location = diagnostic.location
            output += "\(diagnostic.file):\(location.line):\(location.column): \(diagnostic.severity.rawValue): \(Self.shortened(diagnostic.message)) [\(diagnostic.code)]\n"
            if let line = sourceLines(diagnostic.file, location.line) {
                let excerpt = Self.excerpt(of: line, column: location.column)
                output += excerpt.text + "\n"
                // The caret keeps the line's tabs so that it lands under the right character.
                let prefix = excerpt.text.unicodeScalars.prefix(max(0, excerpt.column - 1)).map { $0 == "\t" ? "\t" : " " }
                output += prefix.joined() + "^\n"
            }
        }
        output += report.summary + "\n"
        return output
    }

    /// Most characters of a source line quoted under a diagnostic: a minified or hostile
    /// line of a megabyte is shown as the part around the column, not whole.
    public static let maxQuotedLine = 160

    /// The part of `line` around `column` that is quoted, with the caret's column in it.
    /// Control characters other than tabs are shown as U+FFFD, so a quoted line cannot
    /// drive the terminal.
    static func excerpt(of line: String, column: Int) -> (text: String, column: Int) {
        let scalars = Array(line.unicodeScalars)
        let shown = { (part: ArraySlice<Unicode.Scalar>) -> String in
            var text = String.UnicodeScalarView()
            for scalar in part {
                let control = (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
                text.append(control ? "\u{FFFD}" : scalar)
            }
            return String(text)
        }
        guard scalars.count > maxQuotedLine else { return (shown(scalars[...]), column) }
        let half = maxQuotedLine / 2
        let start = min(max(0, column - 1 - half), scalars.count - maxQuotedLine)
        let end = start + maxQuotedLine
        let head = start > 0 ? "…" : ""
        let tail = end < scalars.count ? "…" : ""
        return (head + shown(scalars[start..<end]) + tail, column - start + head.unicodeScalars.count)
    }

    /// Most characters of a message printed as text or as an annotation: a message quotes
    /// values from the file (an unknown key), which may be of any length.
    public static let maxMessage = 1000

    /// `message`, cut to ``maxMessage`` characters.
    static func shortened(_ message: String) -> String {
        message.unicodeScalars.count <= maxMessage ? message : String(String.UnicodeScalarView(message.unicodeScalars.prefix(maxMessage))) + "…"
    }

    /// The JSON document `--format json` prints.
    public func renderJSON(_ report: ValidationReport) -> JSONValue {
        .object([
            ("valid", .bool(report.isValid)),
            ("files", .int(report.files.count)),
            ("models", .int(report.modelCount)),
            ("errors", .int(report.errorCount)),
            ("diagnostics", .array(report.diagnostics.map { .object($0.jsonMembers) })),
        ])
    }

    func renderGitHub(_ report: ValidationReport) -> String {
        var output = ""
        for diagnostic in report.diagnostics {
            let properties = [
                "file=" + Self.escapeProperty(diagnostic.file),
                "line=\(diagnostic.location.line)",
                "col=\(diagnostic.location.column)",
                "title=" + Self.escapeProperty("sluice validate: \(diagnostic.code)"),
            ].joined(separator: ",")
            output += "::\(diagnostic.severity.rawValue) \(properties)::\(Self.escapeData(Self.shortened(diagnostic.message)))\n"
        }
        output += report.summary + "\n"
        return output
    }

    /// Escapes a workflow command's message.
    static func escapeData(_ text: String) -> String {
        text.replacingAll("%", with: "%25").replacingAll("\r", with: "%0D").replacingAll("\n", with: "%0A")
    }

    /// Escapes a workflow command's property value.
    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingAll(":", with: "%3A").replacingAll(",", with: "%2C")
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed in the core).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension Diagnostic {
    /// The diagnostic's fields as JSON members, in the order every JSON report uses.
    public var jsonMembers: [(String, JSONValue)] {
        [
            ("file", .string(file)),
            ("line", .int(location.line)),
            ("column", .int(location.column)),
            ("severity", .string(severity.rawValue)),
            ("code", .string(code.rawValue)),
            ("field", .string(fieldPath)),
            ("message", .string(message)),
        ]
    }
}
