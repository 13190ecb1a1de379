import SluiceCore
import Testing

/// ``MonitorEvaluator/evaluate(_:version:windowStart:windowEnd:outcome:)``: a Prometheus
/// monitor judged from its query's answer, and the tracker firing on those readings.
@Suite(.timeLimit(.minutes(10))) struct PrometheusMonitorTests {
    static let monitor = Monitor(
        name: "p99", metric: .prometheus, thresholds: Thresholds(max: 0.2), window: .seconds(300),
        critical: MonitorTier(thresholds: Thresholds(max: 0.5), consecutiveWindows: 1, action: .rollback),
        query: QueryTemplate(#"histogram_quantile(0.99, sum by (le) (rate(x_bucket{version="{{version}}"}[{{window}}])))"#))

    static func reading(_ outcome: QueryOutcome, monitor: Monitor = monitor) -> MonitorReading {
        MonitorEvaluator.evaluate(MonitorEvaluator.Question(monitor), version: "v2", windowStart: 1000, windowEnd: 1300, outcome: outcome)
    }

    @Test func aValueIsJudgedAgainstBothTiers() {
        let ok = Self.reading(.value(0.12))
        #expect(ok.verdict == .ok)
        #expect(ok.value == 0.12)
        #expect(ok.samples == 1)
        #expect(!ok.estimated)
        #expect(ok.threshold == 0.2 && ok.criticalThreshold == 0.5 && ok.comparator == ">")
        #expect(ok.detail == "0.12 within max 0.2")
        #expect((ok.monitor, ok.version, ok.windowStart, ok.windowEnd) == ("p99", "v2", 1000, 1300))
        let breach = Self.reading(.value(0.3))
        #expect(breach.verdict == .breach)
        #expect(breach.detail == "0.3 > max 0.2")
        #expect(breach.isCertainBreach)
        let critical = Self.reading(.value(0.75))
        #expect(critical.verdict == .critical)
        #expect(critical.detail == "0.75 > critical max 0.5")
    }

    @Test func aMinimumFailsBelow() {
        let monitor = Monitor(name: "throughput", metric: .prometheus, thresholds: Thresholds(min: 10), query: QueryTemplate("x"))
        let low = Self.reading(.value(-3), monitor: monitor)
        #expect(low.verdict == .breach)
        #expect(low.comparator == "<")
        #expect(low.detail == "-3 < min 10")
        #expect(Self.reading(.value(10), monitor: monitor).verdict == .ok)
    }

    @Test func noSeriesOrNaNIsNeverAPass() {
        let empty = Self.reading(.empty)
        #expect(empty.verdict == .insufficientData)
        #expect(empty.value == nil && empty.samples == 0)
        #expect(empty.detail == "the query returned no series (no traffic in the window, or its labels match nothing)")
        let nan = Self.reading(.notANumber)
        #expect(nan.verdict == .insufficientData)
        #expect(nan.detail == "the query returned NaN (such as a ratio over zero requests)")
    }

    @Test func unusableAnswersAreErrorsThatSayWhy() {
        let labels: [[String: String]] = [["version": "v1", "code": "500"], ["version": "v2"], ["version": "v3"], ["version": "v4"]]
        let ambiguous = Self.reading(.ambiguous(labels: labels))
        #expect(ambiguous.verdict == .error)
        #expect(ambiguous.detail == #"the query returned 4 series ({code="500", version="v1"}, {version="v2"}, {version="v3"}, …); aggregate them to one, e.g. with sum()"#)
        let matrix = Self.reading(QueryResult.matrix([]).outcome)
        #expect(matrix.verdict == .error)
        #expect(matrix.detail == "the query returned a range vector; wrap it in a function such as rate() or avg_over_time()")
        let failed = Self.reading(.failed(MetricQueryError(.timeout, "no answer within 10s")))
        #expect(failed.verdict == .error)
        #expect(failed.detail == "the query failed (timeout): no answer within 10s")
    }

    @Test func windowStatisticsCannotJudgeAPrometheusMonitor() {
        let window = MonitoringBucket(model: "fraud", version: "v2", start: 1000, seconds: 300)
        let reading = MonitorEvaluator.evaluate(MonitorEvaluator.Question(Self.monitor), window: window, reference: .none)
        #expect(reading.verdict == .error)
        #expect(reading.detail == "a prometheus monitor is judged from its query's answer, and none was given")
    }

    @Test func readingsDriveTheTrackerLikeAnyMonitor() {
        var status: MonitorStatus?
        var firings: [MonitorFiring] = []
        for outcome in [QueryOutcome.value(0.1), .empty, .value(0.7), .failed(MetricQueryError(.unreachable, "refused")), .value(0.1)] {
            let (next, fired) = MonitorTracker.observe(Self.reading(outcome), monitor: Self.monitor, status: status)
            status = next
            firings += fired
        }
        #expect(firings.map(\.kind) == [.firing, .resolved])
        #expect(firings.first?.severity == .critical)
        #expect(firings.first?.action == .rollback)
    }
}
