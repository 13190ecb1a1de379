import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import SluiceCore
import SluicePrometheus
import Testing

/// What a real Prometheus cannot be made to do, against ``FakePrometheus``: bearer tokens,
/// answers that echo the request, huge, endless, malformed or silent answers, redirects.
@Suite(.timeLimit(.minutes(10)))
struct PrometheusHostileAnswerTests {
    static let token = "s3cr3t-token-4c1d"

    /// Runs `body` with a client of `fake`; shuts both down.
    private func withClient(
        _ fake: FakePrometheus, token: (@Sendable () throws -> String)? = { PrometheusHostileAnswerTests.token },
        timeout: Swift.Duration = .seconds(120), _ body: (PrometheusClient) async throws -> Void
    ) async throws {
        let client = try PrometheusClient(baseURL: fake.baseURL, timeout: timeout, token: token)
        do {
            try await body(client)
        } catch {
            try await client.shutdown()
            try await fake.stop()
            throw error
        }
        try await client.shutdown()
        try await fake.stop()
    }

    private func failure(_ client: PrometheusClient, _ query: String = "up") async throws -> MetricQueryError {
        try await #require(throws: MetricQueryError.self) { try await client.query(query, at: nil) }
    }

    @Test func theTokenIsSentAsABearerInAFormPost() async throws {
        let fake = try await FakePrometheus.checkingToken(Self.token)
        try await withClient(fake) { client in
            let result = try await client.query(#"sum(rate(x{a="b & c+d"}[5m]))"#, at: 1_435_781_451.781)
            guard case .ambiguous(let labels) = result.outcome else {
                Issue.record("expected the upstream example's two series, got \(result)")
                return
            }
            #expect(labels.map { $0["job"] } == ["prometheus", "node"])
            let request = try #require(fake.requests.first)
            #expect(request.method == .POST)
            #expect(request.uri == "/api/v1/query")
            #expect(request.headers["Content-Type"] == ["application/x-www-form-urlencoded"])
            let form = Dictionary(uniqueKeysWithValues: request.body.split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            })
            #expect(form["query"] == #"sum(rate(x{a="b & c+d"}[5m]))"#)
            #expect(form["time"] == "1435781451.781")
            #expect(form["timeout"] == "120000ms", "the client's own timeout, so Prometheus stops the query when the client gives up")
        }
    }

    @Test func aMissingOrWrongTokenIsUnauthorizedAndNeverQuoted() async throws {
        for sent in [nil, "wrong-token-77"] as [String?] {
            let fake = try await FakePrometheus.checkingToken(Self.token)
            var reader: (@Sendable () throws -> String)?
            if let sent { reader = { sent } }
            try await withClient(fake, token: reader) { client in
                let error = try await failure(client)
                #expect(error.kind == .unauthorized)
                #expect(!error.message.contains(Self.token))
                if let sent { #expect(!error.message.contains(sent)) }
            }
        }
    }

    @Test func aTokenEchoedInAnErrorBodyIsRedacted() async throws {
        // A proxy that answers 502 with the request's headers, and one that puts them in Prometheus' error text.
        let echoes: [@Sendable (FakePrometheus.Request) -> FakePrometheus.Response] = [
            { request in .answer(.badGateway, body: "upstream down; headers: " + request.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ", "), contentType: "text/plain") },
            { request in .answer(.badRequest, body: #"{"status":"error","errorType":"bad_data","error":"bad \#(request.headers["Authorization"].first ?? "")"}"#) },
        ]
        for echo in echoes {
            let fake = try await FakePrometheus(respond: echo)
            try await withClient(fake) { client in
                let error = try await failure(client)
                #expect([.badResponse, .badQuery].contains(error.kind))
                #expect(!error.message.contains(Self.token), "\(error.message)")
                #expect(error.message.contains("<redacted>"), "\(error.message)")
            }
        }
    }

    @Test func theTokenIsReadAtEachQuery() async throws {
        let current = NIOLockedValueBox("first-token")
        let expected = NIOLockedValueBox("first-token")
        let fake = try await FakePrometheus { request in
            request.headers["Authorization"] == ["Bearer \(expected.withLockedValue { $0 })"]
                ? .answer(.ok, body: FakePrometheus.upstreamExample) : .answer(.forbidden, body: "no")
        }
        try await withClient(fake, token: { current.withLockedValue { $0 } }) { client in
            _ = try await client.query("up", at: nil)
            expected.withLockedValue { $0 = "rotated-token" }
            #expect(try await failure(client).kind == .unauthorized)
            current.withLockedValue { $0 = "rotated-token" }
            _ = try await client.query("up", at: nil)
        }
    }

    @Test func anUnreadableOrUnsafeTokenSendsNothing() async throws {
        struct Unreadable: Error, CustomStringConvertible {
            var description: String { "controller.prometheus.tokenFile: /etc/sluice/token has mode 0644" }
        }
        let readers: [@Sendable () throws -> String] = [{ throw Unreadable() }, { "abc\r\nX-Injected: 1" }, { "" }]
        for reader in readers {
            let fake = try await FakePrometheus.checkingToken(Self.token)
            try await withClient(fake, token: reader) { client in
                let error = try await failure(client)
                #expect(error.kind == .unauthorized)
                #expect(!error.message.contains("X-Injected"))
                #expect(fake.requests.isEmpty)
            }
        }
    }

    @Test func anAnswerLargerThanTheCapIsRefusedUnread() async throws {
        let size = 64 << 20
        for response in [FakePrometheus.Response.sized(bytes: size), .stream(chunkSize: 1 << 20, chunks: 64)] {
            let fake = try await FakePrometheus { _ in response }
            try await withClient(fake) { client in
                let error = try await failure(client)
                #expect(error.kind == .badResponse)
                #expect(error.message.contains("larger than \(PrometheusClient.defaultMaximumBodyBytes) bytes"), "\(error.message)")
            }
            #expect(fake.finishedStreams == 0)
            #expect(fake.bytesWritten < size)
        }
    }

    @Test func aSilentServerTimesOut() async throws {
        let silent = try SilentListener()
        let client = try PrometheusClient(baseURL: silent.baseURL, timeout: .milliseconds(500))
        let result = await client.outcome("up")
        try await client.shutdown()
        guard case .failure(let error) = result else {
            Issue.record("a server that never answers gave \(result)")
            return
        }
        #expect(error.kind == .timeout)
        #expect(error.message.contains("within 0.5s"), "\(error.message)")
    }

    @Test func anAnswerThatStallsMidBodyTimesOut() async throws {
        // Content-Length promises more than is ever sent.
        let fake = try await FakePrometheus { _ in .stall(promised: 1000, sent: 10) }
        try await withClient(fake, timeout: .milliseconds(500)) { client in
            let error = try await failure(client)
            #expect(error.kind == .timeout)
        }
    }

    @Test(arguments: [
        // Prometheus' own error shapes.
        (503, #"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#, MetricQueryError.Kind.execution),
        (503, #"{"status":"error","errorType":"canceled","error":"query was canceled"}"#, .execution),
        (422, #"{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}"#, .execution),
        (400, #"{"status":"error","errorType":"bad_data","error":"parse error"}"#, .badQuery),
        (503, "Service Unavailable", .execution),
        // Not Prometheus: a proxy page, a wrong shape, hostile numbers, nesting.
        (502, "<html><body>Bad Gateway</body></html>", .badResponse),
        (200, "<html>" + String(repeating: "A", count: 5000) + "</html>", .badResponse),
        (200, #"{"status":"success","data":{"resultType":"histogram","result":[]}}"#, .badResponse),
        (200, #"{"status":"success","data":{"resultType":"scalar","result":[1,"nan"]}}"#, .badResponse),
        (200, #"{"status":"success","data":{"resultType":"scalar","result":[1,"0x1p3"]}}"#, .badResponse),
        (200, #"{"status":"success","data":{"resultType":"scalar","result":[1,"1e999999"]}}"#, .badResponse),
        (200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}}"#, .badResponse),
        (200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}}"#, .badResponse),
        (200, String(repeating: "[", count: 200_000), .badResponse),
        (200, "", .badResponse),
        (404, "404 page not found", .badResponse),
    ])
    func anAnswerMapsToItsKind(status: Int, body: String, kind: MetricQueryError.Kind) async throws {
        let fake = try await FakePrometheus { _ in .answer(HTTPResponseStatus(statusCode: status), body: body) }
        try await withClient(fake) { client in
            let error = try await failure(client)
            #expect(error.kind == kind, "\(error.message)")
            // The body is quoted sanitized and short.
            #expect(error.message.utf8.count < 400)
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func specialValuesInTheUpstreamFormatAreNumbers() async throws {
        let body = #"{"status":"success","data":{"resultType":"vector","result":["#
            + #"{"metric":{"v":"nan"},"value":[1,"NaN"]},{"metric":{"v":"inf"},"value":[1,"+Inf"]},"#
            + #"{"metric":{"v":"-inf"},"value":[1,"-Inf"]},{"metric":{"v":"e"},"value":[1,"1.5e-7"]}]}}"#
        let fake = try await FakePrometheus { _ in .answer(.ok, body: body) }
        try await withClient(fake) { client in
            guard case .vector(let series) = try await client.query("x", at: nil) else {
                Issue.record("expected a vector")
                return
            }
            let values = Dictionary(uniqueKeysWithValues: series.map { ($0.labels["v"] ?? "", $0.value) })
            #expect(values["nan"]?.isNaN == true)
            #expect(values["inf"] == .infinity)
            #expect(values["-inf"] == -.infinity)
            #expect(values["e"] == 1.5e-7)
        }
    }

    @Test func aRedirectIsNotFollowedSoTheTokenStaysHome() async throws {
        let elsewhere = try await FakePrometheus { _ in .answer(.ok, body: FakePrometheus.upstreamExample) }
        let target = elsewhere.baseURL + "/api/v1/query"
        let fake = try await FakePrometheus { _ in .answer(.temporaryRedirect, body: target, headers: [("Location", target)]) }
        try await withClient(fake) { client in
            let error = try await failure(client)
            #expect(error.kind == .badResponse)
        }
        #expect(elsewhere.requests.isEmpty)
        try await elsewhere.stop()
    }

    @Test func aBaseURLThatIsNotHTTPIsRefused() {
        for url in ["ftp://prometheus:9090", "prometheus:9090", "http://", "https://user:pass@prom:9090", "http://prom:9090/?a=b", "", "http://prom:9090/#x"] {
            #expect(throws: PrometheusClient.ConfigurationError.self, "\(url)") { _ = try PrometheusClient(baseURL: url) }
        }
    }
}

extension PrometheusClient {
    /// The query's result or its error, for tests that shut the client down before judging.
    func outcome(_ query: String) async -> Result<QueryResult, MetricQueryError> {
        do {
            return .success(try await self.query(query, at: nil))
        } catch {
            return .failure(error)
        }
    }
}
