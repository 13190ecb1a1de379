/// The form of an artifact URI that may be shown: in logs, errors, status, plans and the
/// store. User info (`https://user:secret@host`) and the whole query string of an https URL
/// (presigned URLs carry their signature and credential there) are replaced by `REDACTED`.
public enum ArtifactRedaction {
    /// `uri` safe to show.
    public static func display(_ uri: String) -> String {
        guard let colon = uri.firstIndex(of: ":"), uri[colon...].hasPrefix("://") else { return uri }
        let scheme = uri[..<colon]
        var rest = uri[uri.index(colon, offsetBy: 3)...]
        var query = ""
        if let mark = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            query = rest[mark] == "?" ? "?REDACTED" : ""
            rest = rest[..<mark]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = "REDACTED@" + authority[authority.index(after: at)...] }
        return "\(scheme)://\(authority)\(rest[authorityEnd...])\(query)"
    }
}
