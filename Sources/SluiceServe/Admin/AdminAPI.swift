import Hummingbird
import HTTPTypes
import SluiceCore

/// The admin listener: every route requires `Authorization: Bearer <token>`, checked on
/// the head before any body byte is read.
///
/// - `PUT /v1/spec`: replace the runtime spec (the whole document); answers the observed state
/// - `GET /v1/spec`: the spec in force
/// - `GET /v1/state`: observed state of every model and version
/// - `GET /v1/stats?window=SECONDS`: per-version statistics and samples
/// - `GET /v1/monitoring?after=UNIXSECONDS`: ended monitoring buckets (sketches) that
///   started after the given time, for the controller's monitors
///
/// Answers are the SluiceCore wire types (`ObservedState`, `RuntimeSpec`, `StatsSnapshot`,
/// `MonitoringBatch`); errors are ``APIError`` bodies.
struct AdminAPI: Sendable {
    let token: BearerToken
    let dataPlane: DataPlane
    /// The listener's shared body budget (``ServerLimits/bufferedBodies``); nil: unbounded.
    let budget: BodyBudget?

    init(token: String, dataPlane: DataPlane, budget: BodyBudget? = nil) {
        self.token = BearerToken(token)
        self.dataPlane = dataPlane
        self.budget = budget
    }

    /// Admin bodies (a runtime spec) are small.
    static let maximumBody = 1 << 20

    /// The routes, behind the token and the body limit (in that order: a caller without
    /// the token learns nothing, not even that its body is too large).
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: BearerMiddleware(token: token, realm: "sluice-admin"))
        router.add(middleware: BodyLimitMiddleware { _ in Self.maximumBody })
        let dataPlane = self.dataPlane
        let budget = self.budget
        router.put("/v1/spec") { request, _ -> JSONAnswer<ObservedState> in
            let bytes = try await BodyLimit.collect(request, limit: Self.maximumBody, budget: budget)
            return JSONAnswer(try await dataPlane.apply(json: bytes))
        }
        router.get("/v1/spec") { _, _ -> JSONAnswer<RuntimeSpec> in
            guard let spec = await dataPlane.currentSpec() else { throw APIError(.notFound, "no runtime spec has been applied") }
            return JSONAnswer(spec)
        }
        router.get("/v1/state") { _, _ in JSONAnswer(await dataPlane.observed()) }
        router.get("/v1/stats") { request, _ in
            // A window that is not a number means the default window, as it always has.
            let window = request.uri.queryParameters.get("window").flatMap { Int($0) }
            return JSONAnswer(dataPlane.statistics.snapshot(windowSeconds: window))
        }
        router.get("/v1/monitoring") { request, _ in
            try Self.monitoring(dataPlane.monitoring, after: request.uri.queryParameters.get("after"))
        }
        router.refuseOtherMethods(["/v1/spec": [.get, .put], "/v1/state": [.get], "/v1/stats": [.get], "/v1/monitoring": [.get]])
        return router
    }

    private static func monitoring(_ recorder: MonitoringRecorder, after: String?) throws -> JSONAnswer<MonitoringBatch> {
        let since: Int64
        if let after {
            guard let value = Int64(after) else {
                throw APIError(.badRequest, "after: expected seconds since the Unix epoch, found '\(after)'")
            }
            since = value
        } else {
            since = Int64.min
        }
        let batch = MonitoringBatch(now: recorder.now, bucketSeconds: recorder.bucketSeconds, buckets: recorder.buckets(after: since))
        return JSONAnswer(batch, pretty: false)
    }
}
