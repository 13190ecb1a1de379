import SluiceConfig
import SluiceCore
import SluiceServe

/// The named tokens of the controller's API and dashboard, and who a request's token is.
/// Each token is compared in constant time (``BearerToken``), and every one is compared on
/// every request: how long the answer takes says nothing about which token matched, or how
/// far into the list it is.
struct APICredentials: Sendable {
    private let tokens: [(caller: APICaller, bearer: BearerToken)]

    /// `tokens`, with empty values left out (an empty token never matches).
    init(_ tokens: [APIToken]) {
        self.tokens = tokens.filter { !$0.value.isEmpty }.map { (APICaller(name: $0.name, role: $0.role), BearerToken($0.value)) }
    }

    /// The tokens of `secrets` (``ControllerSecrets/tokens``); secrets made from values
    /// have none listed: then the API token alone as an admin, and the viewer token.
    static func tokens(of secrets: ControllerSecrets) -> [APIToken] {
        secrets.tokens.isEmpty ? legacy(apiToken: secrets.apiToken, viewerToken: secrets.viewerToken) : secrets.tokens
    }

    /// The API token (an admin named `controller-token`) and the viewer token (`viewer-token`).
    static func legacy(apiToken: String, viewerToken: String?) -> [APIToken] {
        [APIToken(name: APITokenConfig.apiTokenName, role: .admin, value: apiToken)]
            + (viewerToken.map { [APIToken(name: APITokenConfig.viewerTokenName, role: .viewer, value: $0)] } ?? [])
    }

    /// Who an `Authorization` header value (`Bearer TOKEN`) names; nil: no header, another
    /// scheme, or a token none of ours.
    func caller(authorization: String?) -> APICaller? {
        var found: APICaller?
        for (caller, bearer) in tokens where bearer.admits(authorization: authorization) && found == nil {
            found = caller
        }
        return found
    }

    /// Who a token typed into the dashboard's login form is.
    func caller(token: String) -> APICaller? {
        caller(authorization: "Bearer " + token)
    }
}
