extension QueryTemplate {
    /// The query with every variable replaced. A value inside a `"…"` or `'…'` literal is
    /// escaped for that literal (backslash, the quote, control characters), so no name can
    /// end the literal early; ``QueryTemplateChecker`` refuses variables elsewhere, except
    /// `{{window}}`, whose value is a duration.
    public func render(_ values: Values) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 32)
        var quote: Character?
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            if let (variable, end) = Self.variable(at: index, in: text) {
                let value = values.text(for: variable)
                output += quote.map { Self.escape(value, quote: $0) } ?? value
                index = end
                continue
            }
            let character = text[index]
            output.append(character)
            if let open = quote {
                if escaped {
                    escaped = false
                } else if character == "\\" && open != "`" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
            } else if character == "\"" || character == "'" || character == "`" {
                quote = character
            }
            index = text.index(after: index)
        }
        return output
    }

    /// The variable written at `index` (`{{name}}`, spaces allowed inside the braces) and
    /// the index after it; nil when none starts there.
    static func variable(at index: String.Index, in text: String) -> (Variable, String.Index)? {
        guard text[index...].hasPrefix("{{") else { return nil }
        let start = text.index(index, offsetBy: 2)
        var end = start
        while end < text.endIndex, text[end] != "}" {
            guard text[end] != "{", text[end] != "\n" else { return nil }
            end = text.index(after: end)
        }
        guard text[end...].hasPrefix("}}"), let variable = Variable(rawValue: String(text[start..<end].trimmingSpaces())) else { return nil }
        return (variable, text.index(end, offsetBy: 2))
    }

    /// `value` escaped for a PromQL string literal opened with `quote`.
    static func escape(_ value: String, quote: Character) -> String {
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where Character(scalar) == quote: escaped += "\\" + String(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                escaped += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var trimmed = self
        while trimmed.first == " " { trimmed.removeFirst() }
        while trimmed.last == " " { trimmed.removeLast() }
        return trimmed
    }
}
