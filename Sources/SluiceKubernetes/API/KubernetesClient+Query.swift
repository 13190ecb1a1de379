import Foundation

extension KubernetesClient {
    /// `?a=b&c=d`, every value percent-encoded, or "" for no parameters.
    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    /// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so `,`,
    /// `=`, `!` and `&` in a label selector survive.
    static func percentEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// RFC 3986 unreserved characters.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `name` when it can be a path segment of an object (a DNS-1123 subdomain: lowercase
    /// letters, digits, `-` and `.`, at most 253); otherwise `.invalid`, before anything is sent.
    static func checkedName(_ name: String, _ what: String) throws(KubernetesError) -> String {
        let allowed = name.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        guard !name.isEmpty, name.utf8.count <= 253, allowed, name != ".", name != ".." else {
            throw KubernetesError(
                .invalid(status: 0),
                "expected the \(what) as a DNS-1123 name (lowercase letters, digits, '-' and '.', at most 253), found '\(quoted(name))'")
        }
        return name
    }

    /// The kind, namespace and name of an object about to be written, checked.
    static func address(of object: KubernetesObject) throws(KubernetesError) -> (kind: ResourceKind, namespace: String, name: String) {
        guard let kind = ResourceKind.of(object) else {
            throw KubernetesError(.invalid(status: 0), "cannot write a \(quoted(object.apiVersion)) \(quoted(object.kind)): not a kind Sluice manages")
        }
        let namespace = try checkedName(object.namespace ?? "", "metadata.namespace of \(kind.kind) '\(quoted(object.name))'")
        let name = try checkedName(object.name, "metadata.name of a \(kind.kind)")
        return (kind, namespace, name)
    }
}
