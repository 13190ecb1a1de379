import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceServe

extension KServeLogCollector {
    /// Where KServe's loggers post: `<prefix><model>/<version>`. No controller token:
    /// the logger cannot send one (see `docs/kserve-logger.md` on the NetworkPolicy).
    public static let collectorPrefix = "/v1/collector/kserve/"
    /// Where ground truth is posted: `<prefix><model>`, with the feedback token.
    public static let feedbackPrefix = "/v1/feedback/"

    /// `{"outcome": "joined" | "pending" | "duplicate"}`.
    struct EventReply: Codable, Sendable {
        var outcome: String
    }

    /// Adds `POST /v1/collector/kserve/{model}/{version}` and `POST /v1/feedback/{model}`.
    /// Both guard themselves (unknown versions, sizes, the feedback token), so the router's
    /// controller-token middleware must let ``collectorPrefix`` and ``feedbackPrefix`` pass,
    /// and its body-limit middleware leave their bodies to these routes.
    /// - Parameter budget: the listener's shared body budget.
    package func addRoutes<Context: RequestContext>(to router: Router<Context>, budget: BodyBudget? = nil) {
        router.post(RouterPath(Self.collectorPrefix + ":model/:version")) { request, context -> JSONAnswer<EventReply> in
            let model = try context.parameters.require("model")
            let version = try context.parameters.require("version")
            // Refused from the head, closing the connection: an unknown path's body is never read.
            guard self.admits(model: model, version: version) else {
                throw APIError(
                    .notFound, "no version '\(version.prefix(128))' of model '\(model.prefix(128))' is deployed by this controller",
                    closesConnection: true)
            }
            let event: KServeCloudEvent
            do throws(KServeEventProblem) {
                event = try KServeCloudEvent.parse { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
            } catch {
                self.countMalformed()
                throw APIError(.badRequest, "not a KServe payload-logger event: \(error)")
            }
            let body = try await self.body(of: request, budget: budget)
            switch self.receive(model: model, version: version, event: event, body: body) {
            case .joined: return JSONAnswer(EventReply(outcome: "joined"), pretty: false)
            case .pending: return JSONAnswer(EventReply(outcome: "pending"), status: .accepted, pretty: false)
            case .duplicate: return JSONAnswer(EventReply(outcome: "duplicate"), pretty: false)
            case .refused(let refusal): throw Self.error(for: refusal, limit: self.limits.maximumBody)
            }
        }
        router.post(RouterPath(Self.feedbackPrefix + ":model")) { request, context -> Response in
            let model = try context.parameters.require("model")
            // Checked on the head, as the gateway does: no body is read without the token.
            guard let token = self.feedbackToken(), BearerToken(token).admits(authorization: request.headers[.authorization]) else {
                throw APIError.unauthorized(realm: "sluice-feedback")
            }
            let body = try await BodyLimit.collect(request, limit: Self.maximumFeedbackBody, budget: budget)
            let outcome = try self.feedback(model: model, body: body)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: outcome.jsonText)))
        }
        router.refuseOtherMethods([Self.collectorPrefix + ":model/:version": [.post], Self.feedbackPrefix + ":model": [.post]])
    }

    /// The body, or nil when it is over the cap (declared or read): the call still counts.
    private func body(of request: Request, budget: BodyBudget?) async throws -> [UInt8]? {
        let limit = limits.maximumBody
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { return nil }
        do {
            return try await BodyLimit.collect(request, limit: limit, budget: budget)
        } catch let error as APIError where error.status.code == 413 {
            return nil
        }
    }

    private static func error(for refusal: Refusal, limit: Int) -> APIError {
        switch refusal {
        case .unknownVersion: APIError(.notFound, "the version is no longer deployed by this controller")
        case .tooLarge: APIError.tooLarge(limit: limit)
        case .pendingFull: APIError(.serviceUnavailable, "too many events wait for their other half; retry later")
        case .malformed(let problem): APIError(.badRequest, "not a KServe payload-logger event: \(problem)")
        }
    }
}
