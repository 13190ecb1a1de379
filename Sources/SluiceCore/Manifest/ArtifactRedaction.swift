/// The form of an artifact URI that may be shown: in logs, errors, status, plans and the
/// store. User info (`https://user:secret@host`) and the whole query string (presigned URLs
/// carry their signature and credential there: `X-Amz-Signature`, `X-Amz-Credential`,
/// `sig=`) are replaced by `REDACTED`; a fragment is dropped.
///
/// The text may come from a server (an MLflow location, a redirect), so it is also made safe
/// to print: bytes outside printable ASCII are percent-encoded (no newline can forge a log
/// line, no terminal escape can run) and very long text is cut.
public enum ArtifactRedaction {
    /// The longest form shown; the rest is replaced by `…`.
    public static let maxLength = 512

    /// `uri` safe to show.
    public static func display(_ uri: String) -> String {
        var rest = Substring(uri)
        var query = ""
        if let mark = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            // Everything after `#` is the fragment (dropped), even a `?` in it.
            query = rest[mark] == "?" ? "?REDACTED" : ""
            rest = rest[..<mark]
        }
        var prefix = ""
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://"), isScheme(rest[..<colon]) {
            let authorityStart = rest.index(colon, offsetBy: 3)
            prefix = String(rest[..<authorityStart])
            rest = rest[authorityStart...]
        } else if rest.hasPrefix("//") {
            prefix = "//"
            rest = rest.dropFirst(2)
        } else {
            return printable("\(rest)\(query)")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") { authority = "REDACTED@" + authority[authority.index(after: at)...] }
        return printable("\(prefix)\(authority)\(rest[authorityEnd...])\(query)")
    }

    /// A URI scheme: a letter, then letters, digits, `+`, `-` or `.`.
    static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// `text` with every byte outside printable ASCII percent-encoded, cut at ``maxLength``.
    static func printable(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if result.utf8.count >= maxLength {
                result += "…"
                break
            }
            if byte > 0x20 && byte < 0x7F {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
