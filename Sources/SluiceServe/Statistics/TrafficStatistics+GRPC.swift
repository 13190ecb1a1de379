import NIOConcurrencyHelpers
import SluiceCore

extension TrafficStatistics {
    /// Counts a served gRPC call's status code for its version (the call itself is counted
    /// by ``record(model:version:status:latencyMicros:mirrored:)`` like an HTTP request).
    func recordGRPC(model: String, version: String, code: GRPCStatusCode) {
        statistics(model: model, version: version).grpcCodes.withLockedValue { $0[code.rawValue] += 1 }
    }

    /// The codes a version's served gRPC calls ended with, and how often; empty without calls.
    func grpcCounts(_ statistics: VersionStatistics) -> [(code: GRPCStatusCode, count: UInt64)] {
        let counts = statistics.grpcCodes.withLockedValue { $0 }
        return GRPCStatusCode.allCases.compactMap { code in counts[code.rawValue] > 0 ? (code, counts[code.rawValue]) : nil }
    }

    /// `sluice_grpc_requests_total{model,version,code}`: served gRPC calls by status code
    /// name, for the versions that were called over gRPC.
    func writeGRPC(into exposition: inout PrometheusExposition) {
        let readings = sortedVersions().map { ($0.statistics, grpcCounts($0.statistics)) }.filter { !$0.1.isEmpty }
        guard !readings.isEmpty else { return }
        exposition.family(
            "sluice_grpc_requests_total", .counter,
            help: "gRPC calls clients made that a model version answered (or failed), by gRPC status code; also counted in sluice_requests_total.")
        for (statistics, counts) in readings {
            for (code, count) in counts {
                exposition.sample("sluice_grpc_requests_total", [("model", statistics.model), ("version", statistics.version), ("code", code.name)], count)
            }
        }
    }
}
