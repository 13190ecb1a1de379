import NIOHTTP1

extension HTTPMethod {
    /// Whether this is `HEAD`, told by the case: NIO's `HTTPMethod` compares with `==` through
    /// `rawValue`, a `String` made for each side (~50 instructions a comparison, twice a
    /// proxied request).
    var isHEAD: Bool {
        if case .HEAD = self { true } else { false }
    }
}
