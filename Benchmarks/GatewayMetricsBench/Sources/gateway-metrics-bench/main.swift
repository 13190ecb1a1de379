// The per-request cost of the gateway's metrics: Sluice's own recording (TrafficStatistics,
// which the analysis needs anyway, with the Prometheus histogram it now keeps) alone, and
// with swift-prometheus recording the same request on top, three ways. Every variant runs
// the same request stream, interleaved round by round, and the medians are printed.
import Dispatch
import Metrics
import Prometheus
import SluiceServe

let requestsPerRound = 200_000
let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 21
let threads = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 1

/// One request as the gateway sees it when it records: model, version, status, latency.
struct Request {
    var model: String
    var version: String
    var status: Int
    var micros: UInt64
    var codeClass: String
    /// Indexes into the cached handles: which version, which class (2xx, 5xx).
    var pair: Int
    var classIndex: Int
}

// 2 models x 2 versions, 2% errors, latencies from 0.2 ms to ~30 ms (deterministic).
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
func next() -> UInt64 {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17
    return state
}
let pairs = [("iris", "v1"), ("iris", "v2"), ("churn", "2024-06-01"), ("churn", "2024-07-01")]
let stream: [Request] = (0..<4096).map { _ in
    let index = Int(next() % 4)
    let status = next() % 50 == 0 ? 503 : 200
    return Request(
        model: pairs[index].0, version: pairs[index].1, status: status, micros: 200 + next() % 30_000,
        codeClass: status == 200 ? "2xx" : "5xx", pair: index, classIndex: status == 200 ? 0 : 1)
}

let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10]
let requestsName = MetricNameDescriptor(metricName: "sluice_requests", unitName: "total", helpText: "Requests.")
let errorsName = MetricNameDescriptor(metricName: "sluice_request_errors", unitName: "total", helpText: "Errors.")
let durationName = MetricNameDescriptor(metricName: "sluice_request_duration", unitName: "seconds", helpText: "Latency.")

let statistics = TrafficStatistics()
let registry = PrometheusCollectorRegistry()
let factory: PrometheusMetricsFactory = {
    var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
    factory.defaultValueHistogramBuckets = buckets
    return factory
}()
MetricsSystem.bootstrap(factory)

/// Handles made once per (version, class), as a gateway that cached them beside its
/// statistics would (found by index: the gateway already looks the version up once).
struct Handles {
    var requests: [Prometheus.Counter]
    var errors: Prometheus.Counter
    var duration: ValueHistogram
}
let cached: [Handles] = pairs.map { pair in
    let labels = [("model", pair.0), ("version", pair.1)]
    let requests = ["2xx", "5xx"].map { codeClass in
        registry.makeCounter(descriptor: requestsName, labels: labels + [("code_class", codeClass)])
    }
    return Handles(
        requests: requests, errors: registry.makeCounter(descriptor: errorsName, labels: labels),
        duration: registry.makeValueHistogram(descriptor: durationName, labels: labels, buckets: buckets))
}

enum Variant: String, CaseIterable {
    case sluice = "sluice (TrafficStatistics.record)"
    case cachedHandles = "sluice + swift-prometheus, handles cached per version"
    case registryLookup = "sluice + swift-prometheus, registry lookup per request"
    case swiftMetrics = "sluice + swift-metrics API (Counter/Recorder per request)"
}

@inline(never)
func run(_ variant: Variant, _ request: Request) {
    statistics.record(model: request.model, version: request.version, status: request.status, latencyMicros: request.micros)
    let seconds = Double(request.micros) / 1_000_000
    let isError = request.status >= 500
    switch variant {
    case .sluice:
        break
    case .cachedHandles:
        let handles = cached[request.pair]
        handles.requests[request.classIndex].increment()
        if isError { handles.errors.increment() }
        handles.duration.record(seconds)
    case .registryLookup:
        let labels = [("model", request.model), ("version", request.version)]
        registry.makeCounter(descriptor: requestsName, labels: labels + [("code_class", request.codeClass)]).increment()
        if isError { registry.makeCounter(descriptor: errorsName, labels: labels).increment() }
        registry.makeValueHistogram(descriptor: durationName, labels: labels, buckets: buckets).record(seconds)
    case .swiftMetrics:
        let dimensions = [("model", request.model), ("version", request.version)]
        Metrics.Counter(label: "sluice_requests_total", dimensions: dimensions + [("code_class", request.codeClass)]).increment()
        if isError { Metrics.Counter(label: "sluice_request_errors_total", dimensions: dimensions).increment() }
        Recorder(label: "sluice_request_duration_seconds", dimensions: dimensions, aggregate: true).record(seconds)
    }
}

/// Nanoseconds per request of one round, over `threads` threads each sending the whole round.
func round(_ variant: Variant) -> Double {
    let start = ContinuousClock.now
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var index = thread * 977
        for _ in 0..<requestsPerRound {
            run(variant, stream[index & 4095])
            index &+= 1
        }
    }
    let elapsed = ContinuousClock.now - start
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    return nanoseconds / Double(requestsPerRound * threads)
}

for variant in Variant.allCases { _ = round(variant) }  // warm up: every version's storage exists
var samples: [Variant: [Double]] = [:]
for _ in 0..<rounds {
    for variant in Variant.allCases { samples[variant, default: []].append(round(variant)) }
}
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}
let base = median(samples[.sluice]!)
print("threads: \(threads), rounds: \(rounds) x \(requestsPerRound) requests per thread; median over rounds of elapsed ns / requests recorded")
for variant in Variant.allCases {
    let value = median(samples[variant]!)
    let line = "  \(variant.rawValue):"
    print(line.padding(toLength: 64, withPad: " ", startingAt: 0) + String(Int(value.rounded())).leftPad(6) + " ns   x" + String((value / base * 100).rounded() / 100))
}

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
