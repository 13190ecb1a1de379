/// Fills `{artifact}`, `{port}`, `{model}` and `{version}` into a runtime's command, its
/// environment and its readiness path.
///
/// The operator may run a command through a shell (`[sh, -c, "serve {artifact}"]`), and the
/// values come from git and from the controller, so a value is never quoted for a shell but
/// refused when it holds anything a shell could read as syntax: only ASCII letters, digits
/// and `. _ - + / ~`, not starting with `-` or `~` (an option, a home directory). A refused
/// value keeps that version from starting, with a message naming the placeholder.
public enum CommandTemplate {
    /// The placeholders filled in.
    public enum Placeholder: String, Sendable, CaseIterable {
        case artifact, port, grpcPort, model, version

        /// `{artifact}`.
        public var token: String { "{\(rawValue)}" }
    }

    /// The characters a filled-in value may hold, as messages and docs say it.
    public static let allowedCharacters = "ASCII letters, digits and . _ - + / ~ (not starting with '-' or '~')"

    /// Why `value` may not be filled in for `placeholder`, or nil when it may.
    public static func problem(_ placeholder: Placeholder, _ value: String) -> String? {
        if let first = value.unicodeScalars.first, first == "-" || first == "~" {
            return "the \(placeholder.token) value '\(value)' starts with '\(first)'; values filled into a runtime's command may hold only \(allowedCharacters)"
        }
        guard let bad = value.unicodeScalars.first(where: { !isAllowed($0) }) else { return nil }
        return "the \(placeholder.token) value '\(printable(value))' contains \(PathRules.describe(bad)); values filled into a runtime's command may hold only \(allowedCharacters), so that no shell can read them as syntax"
    }

    /// `template` with each placeholder replaced, in one pass: a value is never scanned for
    /// placeholders again, and unknown `{…}` are left as written.
    public static func fill(_ template: String, with values: [Placeholder: String]) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"),
                let placeholder = Placeholder(rawValue: String(rest[afterOpen..<close])),
                let value = values[placeholder]
            {
                output += value
                rest = rest[rest.index(after: close)...]
            } else {
                output += "{"
                rest = rest[afterOpen...]
            }
        }
        return output + rest
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIIAlphanumeric || "._-+/~".unicodeScalars.contains(scalar)
    }

    /// The value with control characters shown as U+FFFD, for a message.
    static func printable(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.prefix(300).map { $0.value < 0x20 || $0.value == 0x7F ? "\u{FFFD}" : $0 }))
    }
}
