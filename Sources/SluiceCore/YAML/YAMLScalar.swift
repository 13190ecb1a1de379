/// A YAML scalar: its source text, how it was written, and its resolved value.
public struct YAMLScalar: Sendable, Hashable {
    /// How a scalar was written; only plain scalars are resolved to numbers, booleans and null.
    public enum Style: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The scalar's text after YAML unescaping and folding.
    public let text: String
    /// How it was written.
    public let style: Style
    /// The value under the YAML 1.2 core schema (so `no` and `on` stay strings).
    public let value: YAMLValue

    /// Creates a scalar and resolves it. An explicit `!!str` tag forces a string.
    public init(text: String, style: Style, tag: String? = nil) {
        self.text = text
        self.style = style
        if style != .plain || tag == "tag:yaml.org,2002:str" {
            value = .string(text)
        } else {
            value = YAMLValue.resolvePlain(text)
        }
    }
}

/// A scalar's value under the YAML 1.2 core schema.
public enum YAMLValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    /// A short description for messages, quoting short strings: `a string "10%"`.
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "the boolean \(value)"
        case .int(let value): return "the integer \(value)"
        case .float(let value): return "the number \(value)"
        case .string(let text):
            let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
            return "the string \"\(shown)\""
        }
    }

    /// Resolves a plain scalar: null, booleans, integers (decimal, 0o, 0x) and floats, else a string.
    public static func resolvePlain(_ text: String) -> YAMLValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        guard let first = text.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        else { return .string(text) }
        if let integer = parseInteger(text) { return .int(integer) }
        if isCoreFloat(text), let number = Double(text) { return .float(number) }
        return .string(text)
    }

    private static func parseInteger(_ text: String) -> Int? {
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
    private static func isCoreFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        if let sign = bytes.first, sign == 45 || sign == 43 { bytes = bytes.dropFirst() }
        let integerDigits = bytes.prefix(while: isDigit).count
        bytes = bytes.dropFirst(integerDigits)
        var fractionDigits = 0
        if bytes.first == 46 {
            bytes = bytes.dropFirst()
            fractionDigits = bytes.prefix(while: isDigit).count
            bytes = bytes.dropFirst(fractionDigits)
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return false }
        if let exponent = bytes.first, exponent == 101 || exponent == 69 {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == 45 || sign == 43 { bytes = bytes.dropFirst() }
            let exponentDigits = bytes.prefix(while: isDigit).count
            guard exponentDigits > 0 else { return false }
            bytes = bytes.dropFirst(exponentDigits)
        }
        return bytes.isEmpty
    }
}
