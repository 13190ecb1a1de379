import Foundation
import SluiceCore
import SluiceServe
import SluiceTestSupport
import Testing

/// Per-version counts, latency windows, the sample reservoir and the Prometheus text.
@Suite(.timeLimit(.minutes(10))) struct TrafficStatisticsTests {
    /// A clock that tests move by hand.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var nanoseconds: UInt64 = 1_000_000_000_000

        var now: UInt64 { lock.withLock { nanoseconds } }

        func advance(seconds: Double) {
            lock.withLock { nanoseconds += UInt64(seconds * 1e9) }
        }
    }

    private func version(_ snapshot: JSONValue, _ model: String = "m", _ version: String = "v1") -> JSONValue? {
        snapshot["models"]?[model]?[version]
    }

    private func int(_ value: JSONValue?) -> Int? {
        switch value {
        case .int(let number)?: number
        case .number(let number)? where number == number.rounded(): Int(number)
        default: nil
        }
    }

    private func double(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number)?: Double(number)
        case .number(let number)?: number
        default: nil
        }
    }

    /// Within the 1% precision of a two-significant-digit histogram.
    private func close(_ value: JSONValue?, _ expected: Double) -> Bool {
        guard let value = double(value) else { return false }
        return abs(value - expected) <= expected * 0.01
    }

    // MARK: Counts

    @Test func countsRequestsErrorsAndStatusClasses() throws {
        let statistics = TrafficStatistics()
        for _ in 0..<4 { statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 1000) }
        for _ in 0..<2 { statistics.record(model: "m", version: "v1", status: 201, latencyMicros: 1000, mirrored: true) }
        statistics.record(model: "m", version: "v1", status: 404, latencyMicros: 1000)
        statistics.record(model: "m", version: "v1", status: 500, latencyMicros: 1000)
        statistics.record(model: "m", version: "v1", status: 503, latencyMicros: 1000, mirrored: true)
        statistics.record(model: "m", version: "v1", status: 0, latencyMicros: 1000)

        // Served requests and mirrored copies are counted apart: 7 served, 3 mirrored.
        let report = try #require(version(statistics.served(windowSeconds: nil)))
        #expect(int(report["requests"]) == 7)
        #expect(int(report["errors"]) == 2)
        #expect(double(report["errorRate"]) == 2.0 / 7)
        #expect(report["status"]?.serialized() == #"{"2xx":4,"4xx":1,"5xx":1,"failed":1}"#)
        #expect(int(report["mirrored"]) == 3)
        #expect(int(report["mirroredErrors"]) == 1)
        #expect(report["mirroredStatus"]?.serialized() == #"{"2xx":2,"4xx":0,"5xx":1,"failed":0}"#)
        let window = try #require(report["window"])
        #expect(int(window["requests"]) == 7 && int(window["errors"]) == 2)
        #expect(int(window["mirrored"]) == 3 && int(window["mirroredErrors"]) == 1)
        #expect(report["removed"] == .bool(false))
        #expect(report["removedAt"] == nil)
    }

    @Test("mirrored copies stay out of the served latency, samples and Prometheus served families")
    func mirroredCopiesAreNotServedTraffic() throws {
        let statistics = TrafficStatistics()
        statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 1_000)
        statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 9_000_000, mirrored: true)
        let report = try #require(version(statistics.served(windowSeconds: 10)))
        #expect(double(report["latencyMs"]?["max"]) == 1.0)
        #expect(int(report["window"]?["requests"]) == 1)
        #expect(int(report["window"]?["mirrored"]) == 1)
        // A version never mirrored to reports an empty mirroredStatus, not a row of zeros.
        statistics.record(model: "m", version: "v2", status: 200, latencyMicros: 1_000)
        #expect(version(statistics.served(), "m", "v2")?["mirroredStatus"]?.serialized() == "{}")
        let analysed = statistics.snapshot(windowSeconds: 10).window(model: "m", version: "v1")
        #expect(analysed.requests == 1 && analysed.latencyMs["latency_max_ms"] == 1.0)
    }

    @Test func unusualClassesAppearOnlyWhenSeen() throws {
        let statistics = TrafficStatistics()
        statistics.record(model: "m", version: "v1", status: 302, latencyMicros: 10)
        statistics.record(model: "m", version: "v1", status: 700, latencyMicros: 10)
        let report = try #require(version(statistics.served()))
        #expect(report["status"]?.serialized() == #"{"2xx":0,"3xx":1,"4xx":0,"5xx":0,"failed":1}"#)
        #expect(int(report["errors"]) == 1)
    }

    @Test func emptyVersionReportsNullLatency() throws {
        let statistics = TrafficStatistics()
        _ = statistics.admitSample(model: "m", version: "v1")
        let report = try #require(version(statistics.served(windowSeconds: 10)))
        #expect(int(report["requests"]) == 0)
        #expect(double(report["errorRate"]) == 0)
        #expect(report["latencyMs"]?.serialized() == #"{"max":null,"mean":null,"p50":null,"p90":null,"p95":null,"p99":null}"#)
    }

    @Test func snapshotSortsModelsAndVersions() {
        let statistics = TrafficStatistics()
        for (model, version) in [("zeta", "v2"), ("alpha", "v9"), ("zeta", "v1"), ("alpha", "v10")] {
            statistics.record(model: model, version: version, status: 200, latencyMicros: 5)
        }
        guard case .object(let models)? = statistics.served()["models"] else {
            Issue.record("no models")
            return
        }
        #expect(models.map(\.0) == ["alpha", "zeta"])
        let versions = models.map { entry -> [String] in
            guard case .object(let versions) = entry.1 else { return [] }
            return versions.map(\.0)
        }
        #expect(versions == [["v10", "v9"], ["v1", "v2"]])
    }

    // MARK: Latency

    /// Two significant digits: every quantile within 1% of the exact one.
    @Test func quantilesAreWithinHistogramPrecision() throws {
        let statistics = TrafficStatistics()
        for micros in UInt64(1)...10_000 {
            statistics.record(model: "m", version: "v1", status: 200, latencyMicros: micros)
        }
        // Twenty seconds: the records may straddle the turn of a real ten-second window.
        for windowSeconds in [nil, 20] {
            let latency = try #require(version(statistics.served(windowSeconds: windowSeconds))?["latencyMs"])
            for (key, exact) in [("p50", 5.0), ("p90", 9.0), ("p95", 9.5), ("p99", 9.9)] {
                #expect(close(latency[key], exact), "\(key) = \(String(describing: latency[key])), expected \(exact)")
            }
            #expect(double(latency["max"]) == 10.0)
            #expect(double(latency["mean"]) == 5.0005)
        }
    }

    @Test func overlongLatenciesCountAsOneMinute() throws {
        let statistics = TrafficStatistics()
        statistics.record(model: "m", version: "v1", status: 0, latencyMicros: 3_600_000_000)
        let report = try #require(version(statistics.served()))
        #expect(double(report["latencyMs"]?["max"]) == 60_000)
        #expect(int(report["requests"]) == 1)
    }

    @Test func windowsRollOverAndOldOnesDropOut() throws {
        let clock = ManualClock()
        let statistics = TrafficStatistics(windowSeconds: 10, windowCount: 3, now: { clock.now })
        for _ in 0..<5 { statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 1000) }
        clock.advance(seconds: 10)
        for _ in 0..<3 { statistics.record(model: "m", version: "v1", status: 503, latencyMicros: 2000) }

        var report = try #require(version(statistics.served(windowSeconds: 10)))
        #expect(report["window"]?.serialized() == #"{"errorRate":1,"errors":3,"mirrored":0,"mirroredErrors":0,"requests":3,"seconds":10}"#)
        #expect(close(report["latencyMs"]?["p50"], 2.0))

        report = try #require(version(statistics.served(windowSeconds: 20)))
        #expect(int(report["window"]?["requests"]) == 8)
        #expect(close(report["latencyMs"]?["p50"], 1.0))

        // Asking for more than is kept gives what is kept.
        report = try #require(version(statistics.served(windowSeconds: 3600)))
        #expect(int(report["window"]?["seconds"]) == 30)
        #expect(int(report["window"]?["requests"]) == 8)

        // Two windows later the first one is out of the 30 seconds kept.
        clock.advance(seconds: 20)
        report = try #require(version(statistics.served(windowSeconds: 30)))
        #expect(int(report["window"]?["requests"]) == 3)

        // The ring slot of the first window is reused, and starts from zero.
        statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 4000)
        report = try #require(version(statistics.served(windowSeconds: 30)))
        #expect(int(report["window"]?["requests"]) == 4)
        report = try #require(version(statistics.served(windowSeconds: 10)))
        #expect(int(report["window"]?["requests"]) == 1)
        #expect(double(report["latencyMs"]?["max"]) == 4.0)

        // Long after, no window holds anything, but the totals remain.
        clock.advance(seconds: 1000)
        report = try #require(version(statistics.served(windowSeconds: 30)))
        #expect(int(report["window"]?["requests"]) == 0)
        #expect(report["latencyMs"]?["p50"] == .null)
        #expect(int(report["requests"]) == 9)
        report = try #require(version(statistics.served(windowSeconds: nil)))
        #expect(double(report["latencyMs"]?["max"]) == 4.0)
    }

    // MARK: Samples

    @Test func reservoirStaysBoundedAndUniform() throws {
        let statistics = TrafficStatistics(reservoirSize: 512)
        for value in 0..<100_000 {
            guard let ticket = statistics.admitSample(model: "m", version: "v1") else { continue }
            statistics.storeInputs(ticket, [("x", [.number(Double(value))])])
            statistics.storeOutputs(ticket, [("y", [.number(Double(value) * 2)])])
        }
        let samples = try #require(version(statistics.served())?["samples"])
        #expect(int(samples["rows"]) == 512)
        #expect(int(samples["seen"]) == 100_000)
        guard case .array(let inputs)? = samples["inputs"]?["x"], case .array(let outputs)? = samples["outputs"]?["y"] else {
            Issue.record("no sampled values")
            return
        }
        let values = inputs.compactMap(double)
        #expect(values.count == 512)
        #expect(Set(values).count == 512)
        // Rows pair each input with its own output.
        #expect(outputs.compactMap(double) == values.map { $0 * 2 })
        // The mean of 512 uniform draws from 0…99,999 has a standard deviation of about 1,276.
        let mean = values.reduce(0, +) / Double(values.count)
        #expect(abs(mean - 49_999.5) < 6_500, "mean \(mean)")
        let lowerHalf = Double(values.count { $0 < 50_000 }) / Double(values.count)
        #expect(lowerHalf > 0.38 && lowerHalf < 0.62, "lower half \(lowerHalf)")
        #expect(values.contains { $0 >= 90_000 })
    }

    @Test func staleTicketCannotWriteIntoATakenRow() throws {
        let statistics = TrafficStatistics(reservoirSize: 1)
        let first = try #require(statistics.admitSample(model: "m", version: "v1"))
        statistics.storeInputs(first, [("a", [.category("first")])])
        var second: SampleTicket?
        while second == nil { second = statistics.admitSample(model: "m", version: "v1") }
        let taken = try #require(second)

        // The row was cleared for the second request; the first one's late writes are dropped.
        statistics.storeOutputs(first, [("out", [.number(1)])])
        var samples = try #require(version(statistics.served())?["samples"])
        #expect(int(samples["rows"]) == 0)
        #expect(samples["outputs"]?.serialized() == "{}")

        statistics.storeInputs(taken, [("a", [.category("second")])])
        statistics.storeInputs(first, [("a", [.category("first again")])])
        statistics.storeOutputs(taken, [("out", [.number(2)])])
        samples = try #require(version(statistics.served())?["samples"])
        #expect(int(samples["rows"]) == 1)
        #expect(samples["inputs"]?.serialized() == #"{"a":["second"]}"#)
        #expect(samples["outputs"]?.serialized() == #"{"out":[2]}"#)
        #expect(taken.model == "m" && taken.version == "v1")
    }

    @Test func featureNamesAreCappedPerVersion() throws {
        let statistics = TrafficStatistics(maxFeatures: 3)
        let first = try #require(statistics.admitSample(model: "m", version: "v1"))
        statistics.storeInputs(first, (0..<6).map { ("f\($0)", [FeatureValue.number(Double($0))]) })
        let second = try #require(statistics.admitSample(model: "m", version: "v1"))
        statistics.storeInputs(second, [("late", [.number(9)]), ("f1", [.number(10)])])

        let inputs = try #require(version(statistics.served())?["samples"]?["inputs"])
        #expect(inputs.serialized() == #"{"f0":[0],"f1":[1,10],"f2":[2]}"#)
    }

    @Test func valuesPerRowAreSharedAmongFeaturesAndCategoriesAreCut() throws {
        let statistics = TrafficStatistics(valuesPerRow: 4)
        let ticket = try #require(statistics.admitSample(model: "m", version: "v1"))
        let long = String(repeating: "é", count: 40)  // 80 bytes
        statistics.storeInputs(ticket, [
            ("a", (0..<10).map { .number(Double($0)) }),
            ("b", [.category(long), .category("short"), .category("dropped")]),
        ])
        let inputs = try #require(version(statistics.served())?["samples"]?["inputs"])
        #expect(inputs.serialized() == #"{"a":[0,1],"b":[""# + String(repeating: "é", count: 32) + #"","short"]}"#)
    }

    @Test func samplingCanBeTurnedOff() {
        let statistics = TrafficStatistics(reservoirSize: 0)
        #expect(statistics.admitSample(model: "m", version: "v1") == nil)
    }

    // MARK: Lifecycle and concurrency

    @Test func forgetAndRetainDropVersions() {
        let statistics = TrafficStatistics()
        for (model, version) in [("a", "v1"), ("a", "v2"), ("b", "v1"), ("c", "v1")] {
            statistics.record(model: model, version: version, status: 200, latencyMicros: 1)
        }
        statistics.forget(model: "c", version: "v1")
        #expect(statistics.served()["models"]?["c"] == nil)
        statistics.retain(models: ["a": ["v2"], "b": ["v1", "v3"]])
        let snapshot = statistics.served()
        // A version that left the spec stays readable, marked removed.
        #expect(version(snapshot, "a", "v1")?["removed"] == .bool(true))
        #expect(int(version(snapshot, "a", "v1")?["requests"]) == 1)
        #expect(version(snapshot, "a", "v2")?["removed"] == .bool(false))
        #expect(version(snapshot, "b", "v1")?["removed"] == .bool(false))
        #expect(snapshot["models"]?["c"] == nil)
    }

    @Test("a removed version's numbers stay, marked removed, until the windows no longer reach its removal; re-added it is live, its totals continuing and its windows empty")
    func removedVersionsExpireAfterTheWindowsOrComeBack() throws {
        let clock = ManualClock()
        let statistics = TrafficStatistics(windowSeconds: 10, windowCount: 3, now: { clock.now })
        for _ in 0..<4 { statistics.record(model: "m", version: "v2", status: 503, latencyMicros: 1_000) }
        statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 1_000)
        statistics.retain(models: ["m": ["v1"]])

        var report = try #require(version(statistics.served(windowSeconds: 30), "m", "v2"))
        #expect(report["removed"] == .bool(true))
        guard case .string(let removedAt)? = report["removedAt"] else {
            Issue.record("removedAt missing: \(report.serialized())")
            return
        }
        #expect(ISO8601DateFormatter().date(from: removedAt) != nil, "\(removedAt)")
        #expect(int(report["errors"]) == 4 && int(report["window"]?["errors"]) == 4)
        #expect(ParsedExposition(statistics.prometheusText()).value("sluice_request_errors_total", ["model": "m", "version": "v2"]) == 4)
        // A later spec that still leaves it out does not move its removal.
        clock.advance(seconds: 20)
        statistics.retain(models: ["m": ["v1"]])
        #expect(version(statistics.served(), "m", "v2")?["removedAt"] == .string(removedAt))

        // Re-added before it expires: live again, its counts continuing.
        statistics.retain(models: ["m": ["v1", "v2"]])
        statistics.record(model: "m", version: "v2", status: 200, latencyMicros: 1_000)
        report = try #require(version(statistics.served(), "m", "v2"))
        #expect(report["removed"] == .bool(false))
        #expect(report["removedAt"] == nil)
        #expect(int(report["requests"]) == 5)
        // Its windows start empty: a retried candidate is judged on the new attempt's traffic.
        #expect(int(report["window"]?["requests"]) == 1 && int(report["window"]?["errors"]) == 0)

        // Removed again, it expires once the three ten-second windows have passed.
        statistics.retain(models: ["m": ["v1"]])
        clock.advance(seconds: 20)
        #expect(version(statistics.served(), "m", "v2")?["removed"] == .bool(true))
        clock.advance(seconds: 10)
        #expect(version(statistics.served(), "m", "v2") == nil)
        #expect(!statistics.prometheusText().contains(#"version="v2""#))
        #expect(version(statistics.served(), "m", "v1")?["removed"] == .bool(false))
    }

    @Test func concurrentRecordingKeepsExactTotals() async throws {
        let statistics = TrafficStatistics(reservoirSize: 64)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<10_000 {
                        let version = index % 2 == 0 ? "v1" : "v2"
                        let status = index % 10 == 0 ? 503 : 200
                        statistics.record(
                            model: "m", version: version, status: status,
                            latencyMicros: UInt64(100 + task), mirrored: index % 4 == 1)
                        if let ticket = statistics.admitSample(model: "m", version: version) {
                            statistics.storeInputs(ticket, [("task", [.number(Double(task))])])
                        }
                    }
                }
            }
        }
        let snapshot = statistics.served()
        for name in ["v1", "v2"] {
            let report = try #require(version(snapshot, "m", name))
            // Half of v2's records are mirrored copies, counted apart.
            #expect(int(report["requests"]) == (name == "v1" ? 40_000 : 20_000))
            #expect(int(report["errors"]) == (name == "v1" ? 8_000 : 0))
            #expect(int(report["mirrored"]) == (name == "v1" ? 0 : 20_000))
            #expect(int(report["samples"]?["seen"]) == 40_000)
            #expect(int(report["samples"]?["rows"]) == 64)
        }
        #expect(statistics.prometheusText().contains(#"sluice_request_duration_seconds_count{model="m",version="v1"} 40000"#))
    }

    // MARK: Prometheus

    @Test("the exposition reads back: counters by status class, escaped labels, a histogram whose buckets hold each request once")
    func prometheusTextParsesLineByLine() throws {
        let statistics = TrafficStatistics()
        let model = "fraud \"x\"\\y\nz"
        statistics.record(model: model, version: "v1", status: 200, latencyMicros: 20_000)
        statistics.record(model: model, version: "v1", status: 503, latencyMicros: 40_000, mirrored: true)
        statistics.record(model: "plain", version: "v2", status: 0, latencyMicros: 1)

        let text = statistics.prometheusText()
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [])
        #expect(parsed.types == [
            "sluice_requests_total": "counter",
            "sluice_request_errors_total": "counter",
            "sluice_request_duration_seconds": "histogram",
            "sluice_mirrored_requests_total": "counter",
            "sluice_mirrored_request_errors_total": "counter",
            "sluice_mirrored_request_duration_seconds": "histogram",
            // Written for the versions that were sent copies (ShadowStatisticsTests).
            "sluice_shadow_copies_total": "counter",
            "sluice_shadow_shed_total": "counter",
            "sluice_shadow_pairs_total": "counter",
            "sluice_shadow_candidate_errors_total": "counter",
            "sluice_shadow_agreements_total": "counter",
        ])
        // The served request and the mirrored copy are counted apart.
        let escaped = ["model": model, "version": "v1"]
        #expect(parsed.value("sluice_requests_total", escaped.merging(["code_class": "2xx"]) { $1 }) == 1)
        #expect(parsed.value("sluice_requests_total", escaped.merging(["code_class": "5xx"]) { $1 }) == 0)
        #expect(parsed.value("sluice_requests_total", escaped.merging(["code_class": "4xx"]) { $1 }) == 0)
        #expect(parsed.value("sluice_request_errors_total", escaped) == 0)
        #expect(parsed.value("sluice_mirrored_requests_total", escaped) == 1)
        #expect(parsed.value("sluice_mirrored_request_errors_total", escaped) == 1)
        let histogram = parsed.histogram("sluice_request_duration_seconds", escaped)
        #expect(histogram.problems == [])
        #expect(histogram.count == 1)
        #expect(histogram.sum == 0.02)
        // 20 ms is in le=0.025 and above; the mirrored 40 ms in le=0.05 and above of its own histogram.
        let counts = Dictionary(uniqueKeysWithValues: histogram.buckets.map { ($0.le, $0.count) })
        #expect(counts[0.01] == 0 && counts[0.025] == 1 && counts[0.05] == 1 && counts[.infinity] == 1)
        let mirrored = parsed.histogram("sluice_mirrored_request_duration_seconds", escaped)
        #expect(mirrored.problems == [])
        #expect(mirrored.count == 1 && mirrored.sum == 0.04)
        let mirroredCounts = Dictionary(uniqueKeysWithValues: mirrored.buckets.map { ($0.le, $0.count) })
        #expect(mirroredCounts[0.025] == 0 && mirroredCounts[0.05] == 1)
        // Only versions that were sent copies have a mirrored histogram.
        #expect(parsed.histogram("sluice_mirrored_request_duration_seconds", ["model": "plain", "version": "v2"]).count == nil)
        #expect(histogram.buckets.map(\.le) == [0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, .infinity])
        #expect(parsed.value("sluice_requests_total", ["model": "plain", "version": "v2", "code_class": "failed"]) == 1)
        #expect(text.contains(#"model="fraud \"x\"\\y\nz""#))
    }

    @Test("a bucket's bound is inclusive; durations beyond 10 s are only in +Inf; the histogram is cumulative since first seen, not windowed")
    func histogramBoundsAndLifetime() throws {
        let clock = ManualClock()
        let statistics = TrafficStatistics(windowSeconds: 1, windowCount: 2, now: { clock.now })
        for micros: UInt64 in [500, 501, 10_000_000, 10_000_001, 3_600_000_000] {
            statistics.record(model: "m", version: "v1", status: 200, latencyMicros: micros)
        }
        clock.advance(seconds: 5)
        let histogram = ParsedExposition(statistics.prometheusText()).histogram("sluice_request_duration_seconds", ["model": "m", "version": "v1"])
        #expect(histogram.problems == [])
        let counts = Dictionary(uniqueKeysWithValues: histogram.buckets.map { ($0.le, $0.count) })
        #expect(counts[0.0005] == 1)
        #expect(counts[0.001] == 2)
        #expect(counts[10] == 3)
        #expect(counts[.infinity] == 5)
        #expect(histogram.count == 5)
    }

    @Test func labelEscaping() {
        let statistics = TrafficStatistics()
        statistics.record(model: #"a\b"c"#, version: "line\nbreak", status: 200, latencyMicros: 1)
        #expect(statistics.prometheusText().contains(#"sluice_request_errors_total{model="a\\b\"c",version="line\nbreak"} 0"#))
    }
}

extension TrafficStatistics {
    /// The report as `GET /v1/stats` serves it: the wire encoding, read back as JSON.
    fileprivate func served(windowSeconds: Int? = nil) -> JSONValue {
        (try? JSONParser.parse(WireJSON.text(snapshot(windowSeconds: windowSeconds)))) ?? .null
    }
}
