import NIOCore
import NIOHTTP1
import SluiceCore

/// The admin listener: every route requires `Authorization: Bearer <token>`.
///
/// - `PUT /v1/spec`: replace the runtime spec (the whole document)
/// - `GET /v1/spec`: the spec in force
/// - `GET /v1/state`: observed state of every model and version
/// - `GET /v1/stats?window=SECONDS`: per-version statistics and samples
/// - `GET /v1/monitoring?after=UNIXSECONDS`: ended monitoring buckets (sketches) that
///   started after the given time, for the controller's monitors
final class AdminAPI: HTTPResponder {
    private let token: BearerToken
    private let dataPlane: DataPlane

    init(token: String, dataPlane: DataPlane) {
        self.token = BearerToken(token)
        self.dataPlane = dataPlane
    }

    /// Admin bodies (a runtime spec) are small.
    static let maximumBody = 1 << 20

    /// The token is checked on the head: a caller without it never gets a body read.
    func screen(_ head: HTTPRequestHead) -> HeadDecision {
        token.admits(head.headers) ? .accept(maximumBody: Self.maximumBody) : .refuse(BearerToken.unauthorized(realm: "sluice-admin"))
    }

    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
        let loop = request.eventLoop
        guard token.admits(request.head.headers) else {
            return loop.makeSucceededFuture(BearerToken.unauthorized(realm: "sluice-admin"))
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
                return .json(.ok, WireJSON.text(await dataPlane.observed()))
            case (.GET, "/v1/stats"):
                let window = request.query("window").flatMap(Int.init)
                return .json(.ok, WireJSON.text(dataPlane.statistics.snapshot(windowSeconds: window)))
            case (.GET, "/v1/monitoring"):
                return Self.monitoring(dataPlane.monitoring, after: request.query("after"))
            case (_, "/v1/spec"), (_, "/v1/state"), (_, "/v1/stats"), (_, "/v1/monitoring"):
                return .error(.methodNotAllowed, "\(request.head.method) is not allowed on \(request.path)")
            default:
                return .error(.notFound, "no admin route \(request.path)")
            }
        }
    }

    private static func monitoring(_ recorder: MonitoringRecorder, after: String?) -> ServerResponse {
        let since: Int64
        if let after {
            guard let value = Int64(after) else {
                return .error(.badRequest, "after: expected seconds since the Unix epoch, found '\(after)'")
            }
            since = value
        } else {
            since = Int64.min
        }
        let batch = MonitoringBatch(now: recorder.now, bucketSeconds: recorder.bucketSeconds, buckets: recorder.buckets(after: since))
        return .json(.ok, WireJSON.text(batch, pretty: false))
    }
}
