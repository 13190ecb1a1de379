extension QueryTemplate {
    /// The query with every variable replaced.
    ///
    /// - Inside a `"…"` or `'…'` literal a value is escaped for that literal (backslash, the
    ///   quote, control characters, U+FFFD), so no value can end the literal early; after a
    ///   regex matcher (`=~`, `!~`) it is also regex-quoted, so `v1.2` matches only `v1.2`.
    /// - `{{window}}` outside literals is its duration (`5m`), the one variable PromQL takes there.
    /// - Anything ``QueryTemplateChecker`` refuses still renders harmlessly: another variable
    ///   outside literals becomes a quoted literal, one in a `` `…` `` raw string loses its
    ///   backticks, and one in a `#` comment is left as written.
    ///
    /// The walk is over bytes, as Prometheus' lexer reads runes: a quote followed by a
    /// combining mark is still a quote.
    public func render(_ values: Values) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 32)
        var context = RenderContext.statement
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch context {
            case .comment:
                if byte == UInt8(ascii: "\n") { context = .statement }
                output.append(byte)
                index += 1
                continue
            case .literal(let quote, let regex, let escaped):
                if !escaped, case .variable(let variable, let end) = Self.placeholder(at: index, in: bytes) {
                    let value = values.text(for: variable)
                    if quote == UInt8(ascii: "`") {
                        output += value.utf8.filter { $0 != UInt8(ascii: "`") }
                    } else {
                        output += Self.escape(regex ? Self.regexQuoted(value) : value, quote: quote).utf8
                    }
                    index = end
                    continue
                }
                if escaped {
                    context = .literal(quote: quote, regex: regex, escaped: false)
                } else if byte == UInt8(ascii: "\\"), quote != UInt8(ascii: "`") {
                    context = .literal(quote: quote, regex: regex, escaped: true)
                } else if byte == quote {
                    context = .statement
                }
                output.append(byte)
                index += 1
                continue
            case .statement:
                if case .variable(let variable, let end) = Self.placeholder(at: index, in: bytes) {
                    let value = values.text(for: variable)
                    output += (variable == .window ? value : "\"" + Self.escape(value, quote: UInt8(ascii: "\"")) + "\"").utf8
                    index = end
                    continue
                }
                if byte == UInt8(ascii: "#") {
                    context = .comment
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "`") {
                    context = .literal(quote: byte, regex: Self.followsRegexMatcher(index, in: bytes), escaped: false)
                }
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Where the render walk is.
    private enum RenderContext {
        case statement
        case literal(quote: UInt8, regex: Bool, escaped: Bool)
        case comment
    }

    /// What a `{{` at some offset opens.
    enum Placeholder: Equatable {
        /// `{{name}}` naming a variable (spaces allowed inside the braces); `end` is the offset after `}}`.
        case variable(Variable, end: Int)
        /// `{{name}}` naming no variable.
        case unknown(name: String, end: Int)
        /// `{{` without `}}` on the same line.
        case unterminated
        /// No `{{` here.
        case none
    }

    /// The placeholder starting at `index` of `bytes` (the template's UTF-8).
    static func placeholder(at index: Int, in bytes: [UInt8]) -> Placeholder {
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") else { return .none }
        var end = index + 2
        while end < bytes.count, bytes[end] != UInt8(ascii: "}") {
            guard bytes[end] != UInt8(ascii: "{"), bytes[end] != UInt8(ascii: "\n") else { return .unterminated }
            end += 1
        }
        guard end + 1 < bytes.count, bytes[end + 1] == UInt8(ascii: "}") else { return .unterminated }
        var name = bytes[(index + 2)..<end]
        while name.first == UInt8(ascii: " ") { name = name.dropFirst() }
        while name.last == UInt8(ascii: " ") { name = name.dropLast() }
        let text = String(decoding: name, as: UTF8.self)
        guard let variable = Variable(rawValue: text) else { return .unknown(name: text, end: end + 2) }
        return .variable(variable, end: end + 2)
    }

    /// Whether the literal opening at `index` is the value of a `=~` or `!~` matcher.
    static func followsRegexMatcher(_ index: Int, in bytes: [UInt8]) -> Bool {
        var before = index - 1
        while before >= 0, bytes[before] == UInt8(ascii: " ") || bytes[before] == UInt8(ascii: "\t")
            || bytes[before] == UInt8(ascii: "\n") || bytes[before] == UInt8(ascii: "\r")
        {
            before -= 1
        }
        guard before >= 1, bytes[before] == UInt8(ascii: "~") else { return false }
        return bytes[before - 1] == UInt8(ascii: "=") || bytes[before - 1] == UInt8(ascii: "!")
    }

    /// `value` with RE2's metacharacters escaped (as Go's `regexp.QuoteMeta`).
    static func regexQuoted(_ value: String) -> String {
        var quoted = ""
        for scalar in value.unicodeScalars {
            if "\\.+*?()|[]{}^$".unicodeScalars.contains(scalar) { quoted += "\\" }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted
    }

    /// `value` escaped for a PromQL string literal opened with `quote`. U+FFFD is escaped
    /// too: Prometheus' lexer takes it for invalid UTF-8 and refuses the query.
    static func escape(_ value: String, quote: UInt8) -> String {
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "\u{FFFD}": escaped += "\\ufffd"
            case _ where scalar.value == UInt32(quote): escaped += "\\" + String(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                escaped += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
