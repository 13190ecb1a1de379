import Foundation
import SluiceCore
import SluicePrometheus
import SluiceTestSupport
import Testing

/// The client against a real `prometheus` on loopback: every result type, the outcomes a
/// check judges, and the failures Prometheus itself produces.
@Suite(.enabled(if: PrometheusServer.isAvailable, "needs prometheus (scripts/setup.sh installs it)"), .timeLimit(.minutes(10)))
struct PrometheusClientTests {
    /// Runs `body` with a fresh Prometheus and a client of it; stops both.
    private func withPrometheus(
        scrapeSelf: Bool = false, routePrefix: String? = nil, _ body: (PrometheusClient, PrometheusServer) async throws -> Void
    ) async throws {
        let server = try await PrometheusServer(scrapeSelf: scrapeSelf, routePrefix: routePrefix)
        defer { server.stop() }
        let client = try PrometheusClient(baseURL: server.baseURL + "/", timeout: .seconds(20))
        do {
            try await body(client, server)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func aScalarIsItsValue() async throws {
        try await withPrometheus { client, _ in
            let result = try await client.query("1+1", at: nil)
            #expect(result == .scalar(2))
            #expect(result.outcome == .value(2))
        }
    }

    @Test func aVectorOfOneSeriesIsItsValue() async throws {
        try await withPrometheus { client, _ in
            let result = try await client.query("vector(3)", at: nil)
            #expect(result == .vector([QuerySeries(labels: [:], value: 3)]))
            #expect(result.outcome == .value(3))
        }
    }

    @Test func aScrapedSeriesKeepsItsLabels() async throws {
        try await withPrometheus(scrapeSelf: true) { client, server in
            var result = QueryResult.vector([])
            // The first scrape comes within a second or two of the reload.
            for _ in 0..<150 where result == .vector([]) {
                result = try await client.query("up{job=\"prometheus\"}", at: nil)
                if result == .vector([]) { try await Task.sleep(for: .milliseconds(100)) }
            }
            let expected = QuerySeries(labels: ["__name__": "up", "job": "prometheus", "instance": "127.0.0.1:\(server.port)"], value: 1)
            #expect(result == .vector([expected]), "log:\n\(server.log())")
        }
    }

    @Test func aMissingMetricIsEmpty() async throws {
        try await withPrometheus { client, _ in
            let result = try await client.query("sum(rate(sluice_requests_total{model=\"fraud\"}[1m]))", at: nil)
            #expect(result == .vector([]))
            #expect(result.outcome == .empty)
        }
    }

    @Test func twoSeriesAreAmbiguousAndNamed() async throws {
        try await withPrometheus { client, _ in
            let result = try await client.query(#"label_replace(vector(1),"a","x","","") or label_replace(vector(2),"a","y","","")"#, at: nil)
            guard case .ambiguous(let labels) = result.outcome else {
                Issue.record("expected two series, got \(result)")
                return
            }
            #expect(Set(labels) == [["a": "x"], ["a": "y"]])
        }
    }

    @Test func notANumberAndInfinitiesAreRead() async throws {
        try await withPrometheus { client, _ in
            let nan = try await client.query("0/0", at: nil)
            let infinities = (try await client.query("1/0", at: nil), try await client.query("-1/0", at: nil))
            let nanVector = try await client.query("vector(0/0)", at: nil)
            #expect(nan.outcome == .notANumber)
            #expect(infinities.0 == .scalar(.infinity))
            #expect(infinities.1 == .scalar(-.infinity))
            #expect(nanVector.outcome == .notANumber)
        }
    }

    @Test func aRangeVectorAndAStringAreTheWrongType() async throws {
        try await withPrometheus(scrapeSelf: true) { client, _ in
            let matrix = try await client.query("up[1m]", at: nil)
            guard case .matrix = matrix else {
                Issue.record("expected a matrix, got \(matrix)")
                return
            }
            guard case .wrongType = matrix.outcome else {
                Issue.record("expected wrongType, got \(matrix.outcome)")
                return
            }
            #expect(try await client.query(#""text""#, at: nil) == .string("text"))
        }
    }

    @Test func theTimeParameterIsTheEvaluationTime() async throws {
        try await withPrometheus { client, _ in
            let result = try await client.query("time()", at: 1_700_000_000.25)
            #expect(result == .scalar(1_700_000_000.25))
        }
    }

    @Test func aQueryLongerThanAnyURLLimitIsAnswered() async throws {
        // 1.5 MB: more than Go's 1 MB header limit, so only the form body carries it.
        let long = "vector(1) unless on() up{job=\"" + String(repeating: "x", count: 1_500_000) + "\"}"
        try await withPrometheus { client, _ in
            let result = try await client.query(long, at: nil)
            #expect(result.outcome == .value(1))
        }
    }

    @Test func aPathPrefixIsKept() async throws {
        try await withPrometheus(routePrefix: "/prometheus") { client, server in
            let result = try await client.query("1+1", at: nil)
            #expect(server.baseURL.hasSuffix("/prometheus"))
            #expect(result == .scalar(2))
        }
    }

    @Test func aMalformedQueryIsABadQueryWithPrometheusText() async throws {
        try await withPrometheus { client, _ in
            let error = try await #require(throws: MetricQueryError.self) { try await client.query("sum(", at: nil) }
            #expect(error.kind == .badQuery)
            #expect(error.message.contains("parse error"), "\(error.message)")
        }
    }

    @Test func aQueryThatFailsToRunIsAnExecutionError() async throws {
        try await withPrometheus { client, _ in
            let query = #"vector(1) + on() (label_replace(vector(1),"a","x","","") or label_replace(vector(1),"a","y","",""))"#
            let error = try await #require(throws: MetricQueryError.self) { try await client.query(query, at: nil) }
            #expect(error.kind == .execution)
            #expect(error.message.contains("many-to-many"), "\(error.message)")
        }
    }

    @Test func aStoppedPrometheusIsUnreachable() async throws {
        try await withPrometheus { client, server in
            #expect(try await client.query("1", at: nil) == .scalar(1))
            server.stop()
            let error = try await #require(throws: MetricQueryError.self) { try await client.query("1", at: nil) }
            #expect(error.kind == .unreachable, "\(error.message)")
            #expect(error.message.contains(server.baseURL))
        }
    }

    @Test func theObserverSeesEachQueryAndItsFailureKind() async throws {
        let seen = Recorder()
        let server = try await PrometheusServer()
        defer { server.stop() }
        let client = try PrometheusClient(baseURL: server.baseURL, observer: { duration, kind in seen.append(duration, kind) })
        _ = try await client.query("1", at: nil)
        _ = try? await client.query("sum(", at: nil)
        try await client.shutdown()
        let records = seen.records
        #expect(records.map(\.kind) == [nil, .badQuery])
        #expect(records.allSatisfy { $0.duration > .zero })
    }
}

/// Collects the observer's calls.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(duration: Swift.Duration, kind: MetricQueryError.Kind?)] = []

    func append(_ duration: Swift.Duration, _ kind: MetricQueryError.Kind?) {
        lock.lock()
        stored.append((duration, kind))
        lock.unlock()
    }

    var records: [(duration: Swift.Duration, kind: MetricQueryError.Kind?)] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
