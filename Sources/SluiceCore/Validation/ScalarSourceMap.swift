/// Finds where characters of a scalar's text were written in the YAML source, so that a
/// problem inside a value (a query's unclosed parenthesis) is reported at its own line and
/// column rather than at the value's start.
///
/// It re-reads the scalar from its start as written (plain, quoted with escapes and `''`,
/// block `|` and `>` with indentation and folding), aligning the source with the composed
/// text: characters other than white space must match one for one (through escapes), white
/// space may differ (folding, indentation). Where they do not match (an anchor or tag
/// before the value in an unusual form) the offset is left unlocated and the caller says so.
public struct ScalarSourceMap: Sendable {
    /// The source, without a byte-order mark (as the composer read it).
    private let source: [UInt8]
    private let node: YAMLNode

    /// A map of `node` (a scalar) in `source` (the whole file's bytes).
    public init(source: [UInt8], node: YAMLNode) {
        self.source = source.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(source.dropFirst(3)) : source
        self.node = node
    }

    /// The locations of `offsets` (UTF-8 byte offsets into the scalar's text); an offset that
    /// cannot be located is absent.
    public func locations(of offsets: [Int]) -> [Int: SourceLocation] {
        guard let scalar = node.scalar, !offsets.isEmpty, var cursor = start() else { return [:] }
        var found: [Int: SourceLocation] = [:]
        var pending = Set(offsets)
        guard cursor.enterScalar(style: scalar.style) else { return [:] }
        var offset = 0
        for character in scalar.text.unicodeScalars {
            let width = UTF8.width(character)
            guard let location = cursor.match(character, style: scalar.style) else { return found }
            for target in pending where target >= offset && target < offset + width {
                found[target] = location
                pending.remove(target)
            }
            if pending.isEmpty { return found }
            offset += width
        }
        // An offset at the end of the text (an unclosed bracket reported at the end).
        if pending.contains(offset), let location = cursor.location { found[offset] = location }
        return found
    }

    /// A cursor at the node's start mark.
    private func start() -> SourceCursor? {
        var cursor = SourceCursor(source: source, index: 0, line: 1, column: 1)
        while cursor.line < node.location.line {
            guard cursor.index < source.count else { return nil }
            cursor.advance()
        }
        while cursor.column < node.location.column {
            guard let byte = cursor.byte, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else { return nil }
            cursor.advance()
        }
        return cursor
    }
}

/// A position in the source that moves one character at a time, counting lines and columns
/// as libyaml does (columns in characters; `\r\n`, `\r` and `\n` end a line).
private struct SourceCursor {
    let source: [UInt8]
    var index: Int
    var line: Int
    var column: Int

    var byte: UInt8? { index < source.count ? source[index] : nil }
    var location: SourceLocation? { index <= source.count ? SourceLocation(line: line, column: column) : nil }

    func byte(at distance: Int) -> UInt8? { index + distance < source.count ? source[index + distance] : nil }

    var isBreak: Bool { byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }
    var isBlank: Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// The character under the cursor.
    var scalar: Unicode.Scalar? {
        guard let byte else { return nil }
        let width = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        guard index + width <= source.count else { return nil }
        return String(decoding: source[index..<(index + width)], as: UTF8.self).unicodeScalars.first
    }

    mutating func advance() {
        guard let byte else { return }
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            index += byte == UInt8(ascii: "\r") && self.byte(at: 1) == UInt8(ascii: "\n") ? 2 : 1
            line += 1
            column = 1
        } else {
            index += byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            column += 1
        }
    }

    /// Moves past anchors and tags before the value, then past its opening (a quote, or a
    /// block header line); false when the source does not look like the style.
    mutating func enterScalar(style: YAMLScalar.Style) -> Bool {
        while byte == UInt8(ascii: "&") || byte == UInt8(ascii: "!") {
            while let current = byte, current != UInt8(ascii: " "), !isBreak { advance() }
            while isBlank || isBreak { advance() }
        }
        switch style {
        case .plain:
            return true
        case .singleQuoted, .doubleQuoted:
            guard byte == (style == .singleQuoted ? UInt8(ascii: "'") : UInt8(ascii: "\"")) else { return false }
            advance()
            return true
        case .literal, .folded:
            guard byte == (style == .literal ? UInt8(ascii: "|") : UInt8(ascii: ">")) else { return false }
            while byte != nil, !isBreak { advance() }
            advance()
            return true
        }
    }

    /// Finds the written form of `character`, the next character of the scalar's text, and
    /// returns where it starts; nil when the source does not match.
    mutating func match(_ character: Unicode.Scalar, style: YAMLScalar.Style) -> SourceLocation? {
        let isSpace = character == " " || character == "\t" || character == "\n" || character == "\r"
        while let current = scalar {
            let here = SourceLocation(line: line, column: column)
            if style == .doubleQuoted, current == "\\" {
                if byte(at: 1) == UInt8(ascii: "\n") || byte(at: 1) == UInt8(ascii: "\r") {
                    // An escaped line break: it and the next line's indentation are not content.
                    advance()
                    advance()
                    while isBlank { advance() }
                    continue
                }
                guard let (decoded, length) = escape() else { return nil }
                guard decoded == character else { return nil }
                for _ in 0..<length { advance() }
                return here
            }
            if style == .singleQuoted, current == "'", character == "'", byte(at: 1) == UInt8(ascii: "'") {
                advance()
                advance()
                return here
            }
            let currentIsSpace = isBlank || isBreak
            if current == character || (isSpace && currentIsSpace) {
                advance()
                return here
            }
            // Folding and indentation: white space in the source that the text does not keep.
            guard currentIsSpace else { return nil }
            advance()
        }
        return nil
    }

    /// The double-quoted escape at the cursor: what it stands for and how many characters it spans.
    func escape() -> (Unicode.Scalar, Int)? {
        guard let letter = byte(at: 1) else { return nil }
        let simple: [UInt8: Unicode.Scalar] = [
            UInt8(ascii: "0"): "\0", UInt8(ascii: "a"): "\u{07}", UInt8(ascii: "b"): "\u{08}", UInt8(ascii: "t"): "\t",
            0x09: "\t", UInt8(ascii: "n"): "\n", UInt8(ascii: "v"): "\u{0B}", UInt8(ascii: "f"): "\u{0C}",
            UInt8(ascii: "r"): "\r", UInt8(ascii: "e"): "\u{1B}", UInt8(ascii: " "): " ", UInt8(ascii: "\""): "\"",
            UInt8(ascii: "/"): "/", UInt8(ascii: "\\"): "\\", UInt8(ascii: "N"): "\u{85}", UInt8(ascii: "_"): "\u{A0}",
            UInt8(ascii: "L"): "\u{2028}", UInt8(ascii: "P"): "\u{2029}",
        ]
        if let scalar = simple[letter] { return (scalar, 2) }
        let digits: Int
        switch letter {
        case UInt8(ascii: "x"): digits = 2
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default: return nil
        }
        guard index + 2 + digits <= source.count,
            let value = UInt32(String(decoding: source[(index + 2)..<(index + 2 + digits)], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(value)
        else { return nil }
        return (scalar, 2 + digits)
    }
}
