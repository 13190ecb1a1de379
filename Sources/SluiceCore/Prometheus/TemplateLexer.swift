/// The walk behind ``QueryTemplateChecker``: Prometheus 2.x's PromQL lexer (`promql/parser/lex.go`)
/// ported to bytes, reading `{{variables}}` where they stand, plus the few grammar rules a
/// lexer can see (label matchers, where a range or a duration may go). Like Prometheus it
/// stops at the first syntax error; variable problems are all reported.
struct TemplateLexer {
    typealias Problem = QueryTemplateChecker.Problem

    let bytes: [UInt8]
    var index = 0
    private(set) var problems: [Problem] = []
    private(set) var variables: Set<QueryTemplate.Variable> = []
    /// Set at the first syntax error.
    private var stopped = false
    /// Offsets of the open `(`, innermost last.
    private var parens: [Int] = []
    /// The open `{`, its matchers' state.
    private var brace: Int?
    private var matcher = MatcherState.start
    /// The open `[`, what came before it, and whether it holds a `:` (a subquery).
    private var bracket: Int?
    private var bracketOperand = Token.start
    private var gotColon = false
    /// The last two tokens outside braces and brackets.
    private var previous = Token.start
    private var beforePrevious = Token.start
    private var sawToken = false

    /// What a token was, as far as the placement rules care.
    private enum Token: Equatable {
        case start, identifier, offsetKeyword, number, duration, string, variable
        case leftParen, rightParen, rightBrace, rightBracket, sign, operatorToken, comma, at
    }

    /// Where a label matcher list is: `{name op "value", …}`.
    private enum MatcherState {
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

    private mutating func lexStatement() {
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

    private mutating func lexNumberOrDuration() {
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
    private var durationAllowed: Bool {
        previous == .offsetKeyword || (previous == .sign && beforePrevious == .offsetKeyword)
    }

    // MARK: - Brackets

    private mutating func openBracket() {
        bracket = index
        bracketOperand = previous
        gotColon = false
        index += 1
        skipSpaces()
        expectDuration(isRange: true)
    }

    private mutating func lexInsideBracket() {
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
    private mutating func expectDuration(isRange: Bool) {
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

    private mutating func closeBracket() {
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

    private mutating func lexInsideBraces() {
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
    private mutating func advanceMatcher(_ next: MatcherState, from allowed: [MatcherState], at offset: Int, _ message: String) {
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

    // MARK: - Literals and comments

    /// A `"…"` or `'…'` literal: one line, Go's escapes; variables are rendered escaped.
    private mutating func lexString() {
        let start = index
        let quote = bytes[index]
        index += 1
        while true {
            guard index < bytes.count, bytes[index] != UInt8(ascii: "\n") else {
                return fail(
                    .unterminatedString, at: start,
                    "this \(quote == UInt8(ascii: "'") ? "'…'" : "\"…\"") literal is not closed on its line; such a literal ends on the line it starts")
            }
            let byte = bytes[index]
            if byte == quote { index += 1; return }
            if byte == UInt8(ascii: "\\") {
                guard checkEscape(quote: quote) else { return }
                continue
            }
            if isReplacementCharacter(at: index) {
                report(.badEscape, at: index, "U+FFFD (�) is refused by Prometheus' lexer as invalid UTF-8; write it as \\ufffd")
                index += 3
                continue
            }
            switch QueryTemplate.placeholder(at: index, in: bytes) {
            case .variable(.window, let end):
                report(
                    .windowInLiteral, at: index,
                    "{{window}} is a duration, not a name: write it outside string literals, in a range [{{window}}], a subquery or after offset")
                index = end
            case .variable(let variable, let end):
                variables.insert(variable)
                index = end
            case .unknown(let name, let end):
                reportUnknown(name, at: index)
                index = end
            case .unterminated:
                report(.unterminatedVariable, at: index, "'{{' opens a template variable that is not closed with '}}' on its line")
                index += 2
            case .none:
                index += 1
            }
        }
    }

    /// One escape sequence at `index` (the backslash), as Go's `lexEscape` reads it.
    private mutating func checkEscape(quote: UInt8) -> Bool {
        let start = index
        index += 1
        guard index < bytes.count, bytes[index] != UInt8(ascii: "\n") else {
            fail(.badEscape, at: start, "a '\\' ends the line inside a literal; write \\\\ for a backslash")
            return false
        }
        let letter = bytes[index]
        let digits: Int, base: UInt32, maximum: UInt32
        switch letter {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"),
            UInt8(ascii: "v"), UInt8(ascii: "\\"), quote:
            index += 1
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "7"): (digits, base, maximum) = (3, 8, 255)
        case UInt8(ascii: "x"): (digits, base, maximum) = (2, 16, 255); index += 1
        case UInt8(ascii: "u"): (digits, base, maximum) = (4, 16, 0x10FFFF); index += 1
        case UInt8(ascii: "U"): (digits, base, maximum) = (8, 16, 0x10FFFF); index += 1
        default:
            let other = quote == UInt8(ascii: "\"") ? UInt8(ascii: "'") : UInt8(ascii: "\"")
            let hint = letter == other ? "; this quote needs no backslash in a \(quote == UInt8(ascii: "'") ? "'…'" : "\"…\"") literal" : ""
            fail(.badEscape, at: start, "unknown escape sequence '\\\(describe(at: index, quoted: false))'\(hint); PromQL knows \\a \\b \\f \\n \\r \\t \\v \\\\, the literal's quote, \\x, \\u, \\U and octal")
            return false
        }
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard index < bytes.count, let digit = bytes[index].digitValue, digit < base else {
                fail(.badEscape, at: start, "the escape sequence '\(text(start, min(index + 1, bytes.count)))' needs \(digits) \(base == 8 ? "octal" : "hex") digits")
                return false
            }
            value = value * base + digit
            index += 1
        }
        if value > maximum || (0xD800..<0xE000).contains(value) {
            fail(.badEscape, at: start, "the escape sequence '\(text(start, index))' is not a valid Unicode code point")
            return false
        }
        return true
    }

    /// A `` `…` `` raw string: any line, no escapes, so no variable may go in.
    private mutating func lexRawString() {
        let start = index
        index += 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "`") {
            if case .variable(let variable, let end) = QueryTemplate.placeholder(at: index, in: bytes) {
                report(
                    .variableInRawString, at: index,
                    "{{\(variable.rawValue)}} is inside a `…` raw string, which has no escapes, so its value could end the string; use a \"…\" literal")
                index = end
            } else {
                index += 1
            }
        }
        guard index < bytes.count else {
            return fail(.unterminatedString, at: start, "this `…` raw string is never closed")
        }
        index += 1
    }

    /// A `#` comment, to the end of the line: variables are not rendered there.
    private mutating func lexComment() {
        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") {
            switch QueryTemplate.placeholder(at: index, in: bytes) {
            case .variable(_, let end), .unknown(_, let end):
                report(
                    .variableInComment, at: index,
                    "'\(text(index, end))' is inside a # comment, which runs to the end of the line; variables are not rendered there")
                index = end
            default:
                index += 1
            }
        }
    }

    // MARK: - Variables outside literals

    /// Handles a `{{` at `index` outside literals; false when there is none.
    private mutating func handlePlaceholder() -> Bool {
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
    private mutating func acceptWindow(at start: Int, end: Int) {
        variables.insert(.window)
        index = end
        let joined = [start > 0 ? bytes[start - 1] : nil, end < bytes.count ? bytes[end] : nil].compactMap { $0 }
            .contains { $0.isAlphaNumeric || $0 == UInt8(ascii: ".") }
        if joined {
            fail(.windowMisplaced, at: start, "{{window}} is a whole duration such as 5m; write nothing against it, as in [{{window}}]")
        }
    }

    /// A variable already reported stands for a value, so one mistake is not reported twice.
    private mutating func actAsValue() {
        sawToken = true
        if brace != nil {
            matcher = matcher == .value ? .afterMatcher : matcher == .start ? .afterQuotedName : matcher
        } else {
            push(.variable)
        }
    }

    private mutating func reportUnknown(_ name: String, at offset: Int) {
        let names = QueryTemplate.Variable.allCases.map(\.rawValue)
        var message = "'{{\(name)}}' is not a template variable"
        if let suggestion = Suggestion.closest(to: name, among: names) ?? QueryTemplateChecker.otherToolsNames[name.lowercased()]?.rawValue {
            message += "; did you mean '{{\(suggestion)}}'?"
        } else {
            message += "; the variables are \(QueryTemplateChecker.variableList)"
        }
        report(.unknownVariable, at: offset, message)
    }

    // MARK: - Numbers and durations

    /// Go's `scanNumber`: the end of a number at `start`, and whether it stands alone (no
    /// letter follows, so it is not a duration's number).
    private func scanNumber(from start: Int) -> (end: Int, isNumber: Bool) {
        var end = start
        var hex = false
        if bytes[end] == UInt8(ascii: "0"), end + 1 < bytes.count, bytes[end + 1] == UInt8(ascii: "x") || bytes[end + 1] == UInt8(ascii: "X") {
            end += 2
            hex = true
        }
        func digits() { while end < bytes.count, hex ? bytes[end].isHexDigit : bytes[end].isDigit { end += 1 } }
        digits()
        if end < bytes.count, bytes[end] == UInt8(ascii: ".") {
            end += 1
            digits()
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "e") || bytes[end] == UInt8(ascii: "E") {
            end += 1
            if end < bytes.count, bytes[end] == UInt8(ascii: "+") || bytes[end] == UInt8(ascii: "-") { end += 1 }
            while end < bytes.count, bytes[end].isDigit { end += 1 }
        }
        return (end, !(end < bytes.count && bytes[end].isAlphaNumeric))
    }

    /// Go's `acceptRemainingDuration`: the end of a duration's units from `start`, or nil.
    private func remainingDuration(from start: Int) -> Int? {
        var end = start
        func accept(_ set: String) -> Bool {
            guard end < bytes.count, set.utf8.contains(bytes[end]) else { return false }
            end += 1
            return true
        }
        guard accept("smhdwy") else { return nil }
        _ = accept("s")
        while end < bytes.count, bytes[end].isDigit {
            while end < bytes.count, bytes[end].isDigit { end += 1 }
            guard accept("smhdw") else { return nil }
            _ = accept("s")
        }
        return end < bytes.count && bytes[end].isAlphaNumeric ? nil : end
    }

    /// Checks a lexed duration as Prometheus parses it: integer parts, units y w d h m s ms,
    /// each once and largest first; a range must be longer than zero.
    private mutating func checkDuration(from start: Int, to end: Int, isRange: Bool) -> Bool {
        let written = text(start, end)
        guard let milliseconds = Self.durationMilliseconds(Array(bytes[start..<end])) else {
            fail(.badNumber, at: start, "'\(written)' is not a valid duration: whole numbers with units y, w, d, h, m, s, ms, each once and largest first (1h30m)")
            return false
        }
        if isRange, milliseconds == 0 {
            fail(.badNumber, at: start, "a range of '\(written)' is empty; it must be longer than zero")
            return false
        }
        return true
    }

    /// A PromQL duration's length, or nil when it is not one (Prometheus' `model.ParseDuration`).
    static func durationMilliseconds(_ bytes: [UInt8]) -> UInt64? {
        let units: [(String, UInt64)] = [
            ("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
        ]
        var rest = bytes[...]
        var next = 0
        var total: UInt64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isDigit }
            guard !digits.isEmpty, let number = UInt64(String(decoding: digits, as: UTF8.self)) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix { $0.isAlpha }
            rest = rest.dropFirst(letters.count)
            let unit = String(decoding: letters, as: UTF8.self)
            guard let position = units[next...].firstIndex(where: { $0.0 == unit }) else { return nil }
            next = position + 1
            let (product, overflow) = number.multipliedReportingOverflow(by: units[position].1)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow, !overflow2, sum <= UInt64(Int64.max) / 1_000_000 else { return nil }
            total = sum
        }
        return total
    }

    // MARK: - Helpers

    private mutating func emit(_ token: Token, length: Int) {
        index += length
        push(token)
    }

    private mutating func push(_ token: Token) {
        sawToken = true
        beforePrevious = previous
        previous = token
    }

    private mutating func skipSpaces() {
        while index < bytes.count, bytes[index].isSpace { index += 1 }
    }

    private func peek(_ distance: Int) -> UInt8? {
        index + distance < bytes.count ? bytes[index + distance] : nil
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self)
    }

    /// The end of the run of letters, digits and dots from `start`, for quoting a bad token.
    private func wordEnd(from start: Int) -> Int {
        var end = start
        while end < bytes.count, bytes[end].isAlphaNumeric || bytes[end] == UInt8(ascii: ".") { end += 1 }
        return end
    }

    private func isReplacementCharacter(at offset: Int) -> Bool {
        offset + 2 < bytes.count && bytes[offset] == 0xEF && bytes[offset + 1] == 0xBF && bytes[offset + 2] == 0xBD
    }

    /// The character at `offset`, quoted for a message (`';'`, `a line break`).
    private func describe(at offset: Int, quoted: Bool = true) -> String {
        guard offset < bytes.count else { return "the end of the query" }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return "a line break" }
        let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        let character = text(offset, offset + length)
        return quoted ? "'\(character)'" : character
    }

    private mutating func unexpected(at offset: Int, _ context: String) {
        var message = "unexpected character \(describe(at: offset)) in the query\(context)"
        if isReplacementCharacter(at: offset) {
            message = "U+FFFD (�) is refused by Prometheus' lexer as invalid UTF-8"
        } else if bytes[offset] == UInt8(ascii: ";") {
            message += "; PromQL has no statements to separate"
        }
        fail(.unexpectedCharacter, at: offset, message)
    }

    private mutating func report(_ kind: QueryTemplateChecker.Kind, at offset: Int, _ message: String, related: Int? = nil, what: String? = nil) {
        problems.append(Problem(kind, at: offset, message, related: related.map { ($0, what ?? "") }))
    }

    /// Reports a syntax error and stops, as Prometheus' lexer does.
    private mutating func fail(_ kind: QueryTemplateChecker.Kind, at offset: Int, _ message: String, related: Int? = nil, what: String? = nil) {
        report(kind, at: offset, message, related: related, what: what)
        stopped = true
    }
}

extension UInt8 {
    /// Go's `isSpace` in the PromQL lexer.
    fileprivate var isSpace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
    fileprivate var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    fileprivate var isAlpha: Bool { self == 0x5F || (self >= 0x61 && self <= 0x7A) || (self >= 0x41 && self <= 0x5A) }
    fileprivate var isAlphaNumeric: Bool { isAlpha || isDigit }
    fileprivate var isHexDigit: Bool { digitValue.map { $0 < 16 } ?? false }
    fileprivate var digitValue: UInt32? {
        switch self {
        case 0x30...0x39: return UInt32(self - 0x30)
        case 0x61...0x66: return UInt32(self - 0x61 + 10)
        case 0x41...0x46: return UInt32(self - 0x41 + 10)
        default: return nil
        }
    }
}
