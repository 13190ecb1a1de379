import SluiceCore
import SluiceTestSupport

/// A fake in front of the fake data plane that refuses a spec the way `sluice serve`'s
/// `PUT /v1/spec` does when a version names a runtime its config does not define: 400, the
/// whole spec (every model's) refused, the previous one left in force. The real data plane's
/// refusal is tested in AdminAPITests; this one lets in-process controller tests see it.
struct RuntimeCheckingDataPlane: DataPlaneBackend {
    let inner: FakeDataPlane
    /// The runtimes the data plane's config defines.
    let runtimes: Set<String>

    func apply(_ spec: RuntimeSpec) async throws(DataPlaneError) -> ObservedState {
        let unknown = spec.models.flatMap(\.versions).compactMap(\.runtime).filter { !runtimes.contains($0) }
        if let runtime = unknown.first {
            throw DataPlaneError(
                .refused(status: 400),
                "400 from the data plane for PUT /v1/spec: runtime spec refused; the previous spec stays in force (runtime '\(runtime)' is not defined in the data plane's config)")
        }
        return try await inner.apply(spec)
    }

    func currentSpec() async throws(DataPlaneError) -> RuntimeSpec? { try await inner.currentSpec() }
    func observe() async throws(DataPlaneError) -> ObservedState { try await inner.observe() }
    func stats(windowSeconds: Int) async throws(DataPlaneError) -> StatsSnapshot { try await inner.stats(windowSeconds: windowSeconds) }
    func monitoring(after: Int64?) async throws(DataPlaneError) -> MonitoringBatch { try await inner.monitoring(after: after) }
}
