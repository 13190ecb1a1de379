/// String literals, escapes, raw strings and comments, as Prometheus' lexer reads them.
extension TemplateLexer {
    /// A `"…"` or `'…'` literal: one line, Go's escapes; variables are rendered escaped.
    mutating func lexString() {
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
    mutating func checkEscape(quote: UInt8) -> Bool {
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
    mutating func lexRawString() {
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
    mutating func lexComment() {
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
}
