import NIOCore
import NIOHTTP1
import SluiceCore

/// The admin listener: every route requires `Authorization: Bearer <token>`.
///
/// - `PUT /v1/spec`: replace the runtime spec (the whole document)
/// - `GET /v1/spec`: the spec in force
/// - `GET /v1/state`: observed state of every model and version
/// - `GET /v1/stats?window=SECONDS`: per-version statistics and samples
final class AdminAPI: HTTPResponder {
    private let token: BearerToken
    private let dataPlane: DataPlane

    init(token: String, dataPlane: DataPlane) {
        self.token = BearerToken(token)
        self.dataPlane = dataPlane
    }

    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
        let loop = request.eventLoop
        guard token.admits(request.head.headers) else {
            var headers = HTTPHeaders()
            headers.add(name: "www-authenticate", value: "Bearer realm=\"sluice-admin\"")
            return loop.makeSucceededFuture(.error(.unauthorized, "missing or wrong bearer token", headers: headers))
        }
        let dataPlane = self.dataPlane
        return loop.makeFutureWithTask {
            switch (request.head.method, String(request.path)) {
            case (.PUT, "/v1/spec"):
                return await dataPlane.apply(json: Array(request.body.readableBytesView))
            case (.GET, "/v1/spec"):
                guard let spec = await dataPlane.currentSpec() else {
                    return .error(.notFound, "no runtime spec has been applied")
                }
                return .json(.ok, spec.jsonValue.serialized(indent: 2))
            case (.GET, "/v1/state"):
                return .json(.ok, await dataPlane.observed().serialized(indent: 2))
            case (.GET, "/v1/stats"):
                let window = request.query("window").flatMap(Int.init)
                return .json(.ok, dataPlane.statistics.snapshot(windowSeconds: window).serialized(indent: 2))
            case (_, "/v1/spec"), (_, "/v1/state"), (_, "/v1/stats"):
                return .error(.methodNotAllowed, "\(request.head.method) is not allowed on \(request.path)")
            default:
                return .error(.notFound, "no admin route \(request.path)")
            }
        }
    }
}
