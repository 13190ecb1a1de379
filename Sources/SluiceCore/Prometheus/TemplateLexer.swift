/// The walk behind ``QueryTemplateChecker``: Prometheus 2.x's PromQL lexer (`promql/parser/lex.go`)
/// ported to bytes, reading `{{variables}}` where they stand, plus the few grammar rules a
/// lexer can see (label matchers, where a range or a duration may go). Like Prometheus it
/// stops at the first syntax error; variable problems are all reported.
struct TemplateLexer {
    typealias Problem = QueryTemplateChecker.Problem

    let bytes: [UInt8]
    var index = 0
    var problems: [Problem] = []
    var variables: Set<QueryTemplate.Variable> = []
    /// Set at the first syntax error.
    var stopped = false
    /// Offsets of the open `(`, innermost last.
    var parens: [Int] = []
    /// The open `{`, its matchers' state.
    var brace: Int?
    var matcher = MatcherState.start
    /// The open `[`, what came before it, and whether it holds a `:` (a subquery).
    var bracket: Int?
    var bracketOperand = Token.start
    var gotColon = false
    /// The last two tokens outside braces and brackets.
    var previous = Token.start
    var beforePrevious = Token.start
    var sawToken = false

    /// What a token was, as far as the placement rules care.
    enum Token: Equatable {
        case start, identifier, offsetKeyword, number, duration, string, variable
        case leftParen, rightParen, rightBrace, rightBracket, sign, operatorToken, comma, at
    }

    /// Where a label matcher list is: `{name op "value", …}`.
    enum MatcherState {
        case start, afterName, afterQuotedName, value, afterMatcher
    }

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func run() {
        while index < bytes.count, !stopped {
            if bracket != nil {
                lexInsideBracket()
            } else if brace != nil {
                lexInsideBraces()
            } else {
                lexStatement()
            }
        }
        guard !stopped else { return }
        if let brace {
            report(.unbalanced, at: brace, "this '{' is never closed with '}'")
        } else if let bracket {
            report(.unbalanced, at: bracket, "this '[' is never closed with ']'")
        } else if let open = parens.last {
            report(.unbalanced, at: open, "this '(' is never closed with ')'")
        } else if !sawToken {
            report(.empty, at: 0, "the query is empty; expected a PromQL expression")
        }
    }

    // MARK: - Statements

    mutating func lexStatement() {
        let start = index
        let byte = bytes[index]
        if byte == UInt8(ascii: "#") { return lexComment() }
        if byte.isSpace { index += 1; return }
        if handlePlaceholder() { return }
        sawToken = true
        switch byte {
        case UInt8(ascii: ","): emit(.comma, length: 1)
        case UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: "^"): emit(.operatorToken, length: 1)
        case UInt8(ascii: "+"), UInt8(ascii: "-"): emit(.sign, length: 1)
        case UInt8(ascii: "="):
            if peek(1) == UInt8(ascii: "~") {
                fail(.unexpectedCharacter, at: start, "'=~' matches labels only inside braces, as in name{label=~\"regex\"}")
            } else {
                emit(.operatorToken, length: peek(1) == UInt8(ascii: "=") ? 2 : 1)
            }
        case UInt8(ascii: "!"):
            guard peek(1) == UInt8(ascii: "=") else {
                return fail(.unexpectedCharacter, at: start, "'!' is only written as '!=' here")
            }
            emit(.operatorToken, length: 2)
        case UInt8(ascii: "<"), UInt8(ascii: ">"): emit(.operatorToken, length: peek(1) == UInt8(ascii: "=") ? 2 : 1)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            lexString()
            push(.string)
        case UInt8(ascii: "`"):
            lexRawString()
            push(.string)
        case UInt8(ascii: "("):
            parens.append(start)
            emit(.leftParen, length: 1)
        case UInt8(ascii: ")"):
            guard parens.popLast() != nil else {
                return fail(.unbalanced, at: start, "this ')' closes no '('")
            }
            emit(.rightParen, length: 1)
        case UInt8(ascii: "{"):
            brace = start
            matcher = .start
            index += 1
        case UInt8(ascii: "}"):
            fail(.unbalanced, at: start, "this '}' closes no '{'", related: parens.last, what: "the innermost open '('")
        case UInt8(ascii: "["):
            openBracket()
        case UInt8(ascii: "]"):
            fail(.unbalanced, at: start, "this ']' closes no '['", related: parens.last, what: "the innermost open '('")
        case UInt8(ascii: "@"): emit(.at, length: 1)
        case _ where byte.isDigit || (byte == UInt8(ascii: ".") && peek(1)?.isDigit == true):
            lexNumberOrDuration()
        case _ where byte.isAlpha || byte == UInt8(ascii: ":"):
            var end = index
            while end < bytes.count, bytes[end].isAlphaNumeric || bytes[end] == UInt8(ascii: ":") { end += 1 }
            let word = String(decoding: bytes[index..<end], as: UTF8.self).lowercased()
            index = end
            push(word == "offset" ? .offsetKeyword : word == "inf" || word == "nan" ? .number : .identifier)
        default:
            unexpected(at: start, "")
        }
    }

    mutating func lexNumberOrDuration() {
        let start = index
        let (numberEnd, isNumber) = scanNumber(from: index)
        if isNumber {
            index = numberEnd
            return push(.number)
        }
        guard let end = remainingDuration(from: numberEnd) else {
            return fail(.badNumber, at: start, "'\(text(start, wordEnd(from: start)))' is not a number or a duration")
        }
        index = end
        guard checkDuration(from: start, to: end, isRange: false) else { return }
        if !durationAllowed {
            report(
                .misplacedDuration, at: start,
                "unexpected duration '\(text(start, end))': PromQL takes a duration only in a range [\(text(start, end))], a subquery or after offset")
        }
        push(.duration)
    }

    /// Whether a duration may stand here outside brackets: after `offset` (and a sign).
    var durationAllowed: Bool {
        previous == .offsetKeyword || (previous == .sign && beforePrevious == .offsetKeyword)
    }

    // MARK: - Brackets

    mutating func openBracket() {
        bracket = index
        bracketOperand = previous
        gotColon = false
        index += 1
        skipSpaces()
        expectDuration(isRange: true)
    }

    mutating func lexInsideBracket() {
        let start = index
        let byte = bytes[index]
        if byte.isSpace { index += 1; return }
        switch byte {
        case UInt8(ascii: ":"):
            guard !gotColon else { return fail(.unexpectedCharacter, at: start, "a subquery has one ':', between its range and its step") }
            gotColon = true
            index += 1
            skipSpaces()
            if index < bytes.count, bytes[index] != UInt8(ascii: "]") { expectDuration(isRange: false) }
        case UInt8(ascii: "]"):
            closeBracket()
        case UInt8(ascii: ")"), UInt8(ascii: "}"):
            fail(.unbalanced, at: start, "expected ']' before this '\(text(start, start + 1))'", related: bracket, what: "the open '['")
        default:
            if case .variable(.window, _) = QueryTemplate.placeholder(at: index, in: bytes) {
                return fail(.windowMisplaced, at: start, "{{window}} is a whole duration such as 5m; write nothing against it, as in [{{window}}]")
            }
            fail(.unexpectedCharacter, at: start, "expected ':' or ']' after the range's duration, found \(describe(at: start))")
        }
    }

    /// A duration (or `{{window}}`) right after `[` or a subquery's `:`.
    mutating func expectDuration(isRange: Bool) {
        let start = index
        let what = isRange ? "'['" : "the subquery's ':'"
        guard index < bytes.count else { return }  // reported as an unclosed bracket
        switch QueryTemplate.placeholder(at: index, in: bytes) {
        case .variable(let variable, let end):
            if variable == .window {
                return acceptWindow(at: start, end: end)
            }
            variables.insert(variable)
            index = end
            return fail(
                .variableOutsideLiteral, at: start,
                "{{\(variable.rawValue)}} is a name, not a duration; after \(what) write a duration such as 5m or {{window}}")
        case .unknown(let name, let end):
            reportUnknown(name, at: start)
            index = end
            return
        case .unterminated:
            return fail(.unterminatedVariable, at: start, "'{{' opens a template variable that is not closed with '}}' on its line")
        case .none:
            break
        }
        guard bytes[index].isDigit || (bytes[index] == UInt8(ascii: ".") && peek(1)?.isDigit == true) else {
            return fail(.badNumber, at: start, "expected a duration such as 5m or {{window}} after \(what), found \(describe(at: start))")
        }
        let (numberEnd, isNumber) = scanNumber(from: index)
        if isNumber {
            return fail(.badNumber, at: start, "'\(text(start, numberEnd))' has no unit; a duration is written 5m, 30s or {{window}} (units ms, s, m, h, d, w, y)")
        }
        guard let end = remainingDuration(from: numberEnd) else {
            return fail(.badNumber, at: start, "'\(text(start, wordEnd(from: start)))' is not a duration; write e.g. 5m, 1h30m or {{window}}")
        }
        index = end
        _ = checkDuration(from: start, to: end, isRange: isRange)
    }

    mutating func closeBracket() {
        let open = bracket ?? index
        let range = text(open, index + 1)
        switch bracketOperand {
        case .identifier, .offsetKeyword, .rightBrace, .variable:
            break
        case .rightParen where gotColon:
            break
        case .rightParen:
            report(
                .misplacedRange, at: open,
                "a range \(range) applies to a metric selector only; to take a range of an expression, make it a subquery: \(range.dropLast()):]")
        case .rightBracket:
            report(.misplacedRange, at: open, "a range or subquery cannot follow another range or subquery")
        default:
            report(.misplacedRange, at: open, "a range \(range) must follow a metric selector, such as name{label=\"value\"}\(range)")
        }
        bracket = nil
        index += 1
        push(.rightBracket)
    }

    // MARK: - Braces

    mutating func lexInsideBraces() {
        let start = index
        let byte = bytes[index]
        if byte == UInt8(ascii: "#") { return lexComment() }
        if byte.isSpace { index += 1; return }
        if handlePlaceholder() { return }
        switch byte {
        case _ where byte.isAlpha:
            var end = index
            while end < bytes.count, bytes[end].isAlphaNumeric { end += 1 }
            let name = text(index, end)
            index = end
            advanceMatcher(.afterName, from: [.start], at: start, "expected ',' or '}' before the label name '\(name)'")
        case UInt8(ascii: ","):
            index += 1
            advanceMatcher(.start, from: [.afterMatcher, .afterQuotedName], at: start, "expected a label matcher before this ','")
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            byte == UInt8(ascii: "`") ? lexRawString() : lexString()
            guard !stopped else { return }
            if matcher == .value {
                matcher = .afterMatcher
            } else {
                advanceMatcher(.afterQuotedName, from: [.start], at: start, "expected ',' or '}' before this string")
            }
        case UInt8(ascii: "="), UInt8(ascii: "!"):
            let next = peek(1)
            if byte == UInt8(ascii: "!"), next != UInt8(ascii: "=") && next != UInt8(ascii: "~") {
                return fail(.unexpectedCharacter, at: start, "'!' is written '!=' or '!~' in a label matcher")
            }
            index += next == UInt8(ascii: "~") || byte == UInt8(ascii: "!") ? 2 : 1
            advanceMatcher(.value, from: [.afterName, .afterQuotedName], at: start, "expected a label name before the operator '\(text(start, index))'")
        case UInt8(ascii: "}"):
            switch matcher {
            case .afterName: return fail(.badMatcher, at: start, "a label name needs an operator and a value before '}', as in label=\"value\"")
            case .value: return fail(.badMatcher, at: start, "expected a quoted value before '}', as in label=\"value\"")
            default: break
            }
            brace = nil
            index += 1
            push(.rightBrace)
        case UInt8(ascii: "{"):
            fail(.unexpectedCharacter, at: start, "a '{' cannot open inside braces", related: brace, what: "the open '{'")
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"):
            fail(.unbalanced, at: start, "expected '}' before this '\(text(start, start + 1))'", related: brace, what: "the open '{'")
        default:
            unexpected(at: start, " inside braces; a selector holds label matchers such as label=\"value\"")
        }
    }

    /// Moves the matcher state to `next` when it is one of `allowed`, else reports `message`.
    mutating func advanceMatcher(_ next: MatcherState, from allowed: [MatcherState], at offset: Int, _ message: String) {
        guard allowed.contains(matcher) else {
            let expected: String
            switch matcher {
            case .afterName: expected = "expected '=', '!=', '=~' or '!~' after the label name"
            case .value: expected = "expected a quoted value after the operator, as in label=\"value\""
            default: expected = message
            }
            return fail(.badMatcher, at: offset, expected)
        }
        matcher = next
    }

    // MARK: - Variables outside literals

    /// Handles a `{{` at `index` outside literals; false when there is none.
    mutating func handlePlaceholder() -> Bool {
        let start = index
        switch QueryTemplate.placeholder(at: index, in: bytes) {
        case .none:
            return false
        case .unterminated:
            fail(.unterminatedVariable, at: start, "'{{' opens a template variable that is not closed with '}}' on its line")
        case .unknown(let name, let end):
            reportUnknown(name, at: start)
            index = end
            actAsValue()
        case .variable(.window, let end):
            sawToken = true
            if brace != nil {
                report(
                    .windowMisplaced, at: start,
                    "{{window}} is a duration, not a label value; PromQL takes it in a range [{{window}}], a subquery or after offset")
                index = end
                actAsValue()
            } else if !durationAllowed {
                report(
                    .windowMisplaced, at: start,
                    "{{window}} renders as a duration such as 5m, which PromQL takes only in a range [{{window}}], a subquery [{{window}}:] or after offset")
                index = end
                push(.duration)
            } else {
                acceptWindow(at: start, end: end)
                push(.duration)
            }
        case .variable(let variable, let end):
            variables.insert(variable)
            let example = variable == .stableVersion ? "version" : variable.rawValue
            report(
                .variableOutsideLiteral, at: start,
                "{{\(variable.rawValue)}} must be inside a \"…\" or '…' string literal, where its value is escaped, as in \(example)=\"{{\(variable.rawValue)}}\"")
            index = end
            actAsValue()
        }
        return true
    }

    /// `{{window}}` where a duration may stand: it must be the whole duration.
    mutating func acceptWindow(at start: Int, end: Int) {
        variables.insert(.window)
        index = end
        let joined = [start > 0 ? bytes[start - 1] : nil, end < bytes.count ? bytes[end] : nil].compactMap { $0 }
            .contains { $0.isAlphaNumeric || $0 == UInt8(ascii: ".") }
        if joined {
            fail(.windowMisplaced, at: start, "{{window}} is a whole duration such as 5m; write nothing against it, as in [{{window}}]")
        }
    }

    /// A variable already reported stands for a value, so one mistake is not reported twice.
    mutating func actAsValue() {
        sawToken = true
        if brace != nil {
            matcher = matcher == .value ? .afterMatcher : matcher == .start ? .afterQuotedName : matcher
        } else {
            push(.variable)
        }
    }

    mutating func reportUnknown(_ name: String, at offset: Int) {
        let names = QueryTemplate.Variable.allCases.map(\.rawValue)
        var message = "'{{\(name)}}' is not a template variable"
        if let suggestion = Suggestion.closest(to: name, among: names) ?? QueryTemplateChecker.otherToolsNames[name.lowercased()]?.rawValue {
            message += "; did you mean '{{\(suggestion)}}'?"
        } else {
            message += "; the variables are \(QueryTemplateChecker.variableList)"
        }
        report(.unknownVariable, at: offset, message)
    }

    // MARK: - Helpers

    mutating func emit(_ token: Token, length: Int) {
        index += length
        push(token)
    }

    mutating func push(_ token: Token) {
        sawToken = true
        beforePrevious = previous
        previous = token
    }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index].isSpace { index += 1 }
    }

    func peek(_ distance: Int) -> UInt8? {
        index + distance < bytes.count ? bytes[index + distance] : nil
    }

    func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self)
    }

    /// The end of the run of letters, digits and dots from `start`, for quoting a bad token.
    func wordEnd(from start: Int) -> Int {
        var end = start
        while end < bytes.count, bytes[end].isAlphaNumeric || bytes[end] == UInt8(ascii: ".") { end += 1 }
        return end
    }

    func isReplacementCharacter(at offset: Int) -> Bool {
        offset + 2 < bytes.count && bytes[offset] == 0xEF && bytes[offset + 1] == 0xBF && bytes[offset + 2] == 0xBD
    }

    /// The character at `offset`, quoted for a message (`';'`, `a line break`).
    func describe(at offset: Int, quoted: Bool = true) -> String {
        guard offset < bytes.count else { return "the end of the query" }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return "a line break" }
        let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        let character = text(offset, offset + length)
        return quoted ? "'\(character)'" : character
    }

    mutating func unexpected(at offset: Int, _ context: String) {
        var message = "unexpected character \(describe(at: offset)) in the query\(context)"
        if isReplacementCharacter(at: offset) {
            message = "U+FFFD (�) is refused by Prometheus' lexer as invalid UTF-8"
        } else if bytes[offset] == UInt8(ascii: ";") {
            message += "; PromQL has no statements to separate"
        }
        fail(.unexpectedCharacter, at: offset, message)
    }

    mutating func report(_ kind: QueryTemplateChecker.Kind, at offset: Int, _ message: String, related: Int? = nil, what: String? = nil) {
        problems.append(Problem(kind, at: offset, message, related: related.map { ($0, what ?? "") }))
    }

    /// Reports a syntax error and stops, as Prometheus' lexer does.
    mutating func fail(_ kind: QueryTemplateChecker.Kind, at offset: Int, _ message: String, related: Int? = nil, what: String? = nil) {
        report(kind, at: offset, message, related: related, what: what)
        stopped = true
    }
}

extension UInt8 {
    /// Go's `isSpace` in the PromQL lexer (these classes are PromQL's, ASCII only).
    var isSpace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isAlpha: Bool { self == 0x5F || (self >= 0x61 && self <= 0x7A) || (self >= 0x41 && self <= 0x5A) }
    var isAlphaNumeric: Bool { isAlpha || isDigit }
    var isHexDigit: Bool { digitValue.map { $0 < 16 } ?? false }
    var digitValue: UInt32? {
        switch self {
        case 0x30...0x39: return UInt32(self - 0x30)
        case 0x61...0x66: return UInt32(self - 0x61 + 10)
        case 0x41...0x46: return UInt32(self - 0x41 + 10)
        default: return nil
        }
    }
}
