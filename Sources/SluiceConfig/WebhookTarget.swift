import SluiceCore

/// An outgoing webhook: `http://HOST:PORT/PATH` (plain HTTP; put a local relay in front of
/// an HTTPS receiver).
public struct WebhookTarget: Sendable, Hashable, CustomStringConvertible {
    /// Where to connect.
    public var address: UpstreamAddress
    /// The request path, with its query.
    public var path: String

    /// Parses a URL; nil when it is not `http://HOST:PORT[/PATH]`.
    public init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let address = UpstreamAddress(url: "http://" + rest[..<slash]) else { return nil }
        self.address = address
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !path.contains(" "), !path.contains("\r"), !path.contains("\n") else { return nil }
    }

    public var description: String { "\(address)\(path)" }
}
