import Crypto
import SluiceCore

/// Object names and label values derived from model and version names: valid for the
/// API server, stable for an object's whole life, and distinct when sanitizing changed them.
public enum KubernetesNames {
    /// The longest DNS-1035 label (and label value).
    static let maxLength = 63

    /// The Deployment and Service of a version: `{model}-{version}` as a DNS-1035 label.
    public static func versionObject(model: String, version: String) -> String {
        dns1035(raw: "\(model)-\(version)", identity: "\(model)\u{0}\(version)")
    }

    /// The HTTPRoute or InferenceService of a model: `{model}` as a DNS-1035 label.
    public static func modelObject(model: String) -> String {
        dns1035(raw: model, identity: model)
    }

    /// A label value (`sluice.dev/version`): the name itself when it is a valid label value,
    /// else a sanitized form with a hash suffix (the exact name is kept in an annotation).
    public static func labelValue(_ name: String) -> String {
        let allowed = name.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
        let edges = name.unicodeScalars.first.map(isAlphanumeric) ?? true
        let ends = name.unicodeScalars.last.map(isAlphanumeric) ?? true
        if allowed, edges, ends, name.utf8.count <= maxLength { return name }
        var text = String(String.UnicodeScalarView(name.unicodeScalars.map {
            isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-"
        }))
        return suffixed(&text, identity: name)
    }

    /// A lowercase DNS-1035 label from `raw`; `identity` feeds the hash so two inputs that
    /// sanitize alike still get different names.
    static func dns1035(raw: String, identity: String) -> String {
        var scalars: [Unicode.Scalar] = []
        for scalar in raw.lowercased().unicodeScalars {
            let keep = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
            let next: Unicode.Scalar = keep ? scalar : "-"
            if next == "-", scalars.last == "-" { continue }
            scalars.append(next)
        }
        while let first = scalars.first, !("a"..."z").contains(first) { scalars.removeFirst() }
        var text = String(String.UnicodeScalarView(scalars))
        if text == raw, text.utf8.count <= maxLength, text.last != "-", !text.isEmpty { return text }
        if text.isEmpty { text = "m" }
        return suffixed(&text, identity: identity)
    }

    /// `text` cut to leave room for `-` and 8 hex digits of SHA-256(identity), then suffixed.
    private static func suffixed(_ text: inout String, identity: String) -> String {
        let hash = SHA256.hexDigest(of: Array(identity.utf8)).prefix(8)
        text = String(text.prefix(maxLength - 9))
        while text.last == "-" || text.last == "." || text.last == "_" { text.removeLast() }
        return text.isEmpty ? "m-\(hash)" : "\(text)-\(hash)"
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
