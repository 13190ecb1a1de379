/// Checks a PromQL query template as far as it can be checked without a server.
///
/// It reads the template as Prometheus' lexer (2.x) reads the rendered query, with the
/// `{{variables}}` in place: every variable must be known and sit where its rendering is
/// safe (`{{model}}`, `{{version}}`, `{{stableVersion}}` and `{{namespace}}` inside a `"…"` or
/// `'…'` literal, `{{window}}` where PromQL takes a duration); brackets, braces and
/// parentheses must balance; literals, escapes, numbers and durations must be well formed;
/// a range must follow a selector. It is not a parser: a query it accepts may still be
/// refused by Prometheus for its grammar or types, never for what this checks.
///
/// ```swift
/// let findings = QueryTemplateChecker.check(QueryTemplate("rate(x{version=\"{{verison}}\"}[5m])"))
/// findings.problems[0].message  // "'{{verison}}' is not a template variable; did you mean '{{version}}'?"
/// ```
public enum QueryTemplateChecker {
    /// The longest template accepted, in UTF-8 bytes.
    public static let maxBytes = 8192

    /// What a check found.
    public struct Findings: Sendable, Hashable {
        /// The problems, in the order of their offsets.
        public var problems: [Problem]
        /// The variables the template uses where they are rendered (not in comments).
        public var variables: Set<QueryTemplate.Variable>
    }

    /// One problem in a template.
    public struct Problem: Sendable, Hashable {
        /// What is wrong.
        public var kind: Kind
        /// Where, as a UTF-8 byte offset into the template's text.
        public var offset: Int
        /// A sentence saying what is wrong and what is expected, without positions.
        public var message: String
        /// A related place and what is there (`the innermost open '('`), which the caller
        /// names with its position after the message.
        public var related: Related?

        /// A related place in the template.
        public struct Related: Sendable, Hashable {
            /// UTF-8 byte offset into the template's text.
            public var offset: Int
            /// What is there, as the subject of "… is at line 3, column 7".
            public var what: String

            /// Creates a related place.
            public init(offset: Int, what: String) {
                self.offset = offset
                self.what = what
            }
        }

        /// Creates a problem.
        public init(_ kind: Kind, at offset: Int, _ message: String, related: (offset: Int, what: String)? = nil) {
            self.kind = kind
            self.offset = offset
            self.message = message
            self.related = related.map { Related(offset: $0.offset, what: $0.what) }
        }
    }

    /// The kinds of problem.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Nothing but spaces and comments.
        case empty
        /// Longer than ``QueryTemplateChecker/maxBytes``.
        case tooLong
        /// `{{name}}` that names no variable.
        case unknownVariable
        /// `{{` with no `}}` on its line.
        case unterminatedVariable
        /// A name variable outside a `"…"` or `'…'` literal, where its value would not be escaped.
        case variableOutsideLiteral
        /// A variable in a `` `…` `` raw string, which has no escapes.
        case variableInRawString
        /// A variable in a `#` comment.
        case variableInComment
        /// `{{window}}` inside a string literal.
        case windowInLiteral
        /// `{{window}}` where PromQL takes no duration, or written against other characters.
        case windowMisplaced
        /// A `(`, `[` or `{` never closed, or a closer with nothing to close.
        case unbalanced
        /// A string literal not closed.
        case unterminatedString
        /// An escape sequence PromQL does not know, or U+FFFD in the query.
        case badEscape
        /// A character PromQL does not use here (`;`, `$`, a `{` inside braces).
        case unexpectedCharacter
        /// A malformed number or duration.
        case badNumber
        /// A duration where PromQL takes none.
        case misplacedDuration
        /// A range `[…]` after something that is not a selector (or a subquery's operand).
        case misplacedRange
        /// Label matchers that are not `name op "value"` separated by commas.
        case badMatcher
    }

    /// Checks `template`.
    public static func check(_ template: QueryTemplate) -> Findings {
        let bytes = Array(template.text.utf8)
        guard bytes.count <= maxBytes else {
            return Findings(
                problems: [Problem(.tooLong, at: 0, "the query is \(bytes.count) bytes; a query template may have at most \(maxBytes)")],
                variables: [])
        }
        var lexer = TemplateLexer(bytes)
        lexer.run()
        let problems = lexer.problems.sorted { ($0.offset, $0.message) < ($1.offset, $1.message) }
        return Findings(problems: problems, variables: lexer.variables)
    }

    /// The variables written as `{{name}}`, for messages.
    static var variableList: String {
        QueryTemplate.Variable.allCases.map { "{{\($0.rawValue)}}" }.joined(separator: ", ")
    }

    /// Names other tools use for the same thing (Flagger's `{{ target }}`, `{{ interval }}`).
    static let otherToolsNames: [String: QueryTemplate.Variable] = [
        "target": .model, "interval": .window, "canary": .version, "primary": .stableVersion,
    ]
}

extension QueryTemplate {
    /// The variables the template uses outside comments (see ``QueryTemplateChecker``).
    public var variables: Set<Variable> { QueryTemplateChecker.check(self).variables }
}
