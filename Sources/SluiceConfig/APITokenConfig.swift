import SluiceCore

/// One named token of the controller's API (`controller.tokens[]`), or one of the two tokens
/// configured on their own (`controller.tokenEnv`/`tokenFile`, `viewerTokenEnv`/`viewerTokenFile`).
public struct APITokenConfig: Sendable, Hashable {
    /// Who holds the token: the actor recorded for what it does.
    public var name: String
    /// What it may do.
    public var role: APIRole
    /// Where the token is read from.
    public var source: ServeConfig.TokenSource

    public init(name: String, role: APIRole, source: ServeConfig.TokenSource) {
        self.name = name
        self.role = role
        self.source = source
    }

    /// The name of the API token of `controller.tokenEnv`/`tokenFile` (or the generated one),
    /// an `admin`: configs written before named tokens keep working as they did.
    public static let apiTokenName = "controller-token"
    /// The name of the dashboard's read-only token (`controller.viewerTokenEnv`/`viewerTokenFile`), a `viewer`.
    public static let viewerTokenName = "viewer-token"
    /// Names no listed token may take: the two tokens above, and the actors the controller
    /// records for itself (a person's token must not pass for the controller or a monitor).
    public static let reservedNames: Set<String> = [apiTokenName, viewerTokenName, "controller", "monitor", "data-plane"]
    /// The longest name.
    public static let maximumNameLength = 64

    /// Why `name` cannot name a token, or nil when it can.
    public static func problem(name: String) -> String? {
        if name.isEmpty { return "a token's name may not be empty" }
        if name.utf8.count > maximumNameLength { return "expected at most \(maximumNameLength) characters, found \(name.utf8.count)" }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "-")
        }
        if !allowed { return "expected letters, digits, '.', '_', '@' or '-', found '\(name)'" }
        if reservedNames.contains(name) { return "'\(name)' is reserved (\(reservedNames.sorted().joined(separator: ", "))); choose another name" }
        return nil
    }
}
