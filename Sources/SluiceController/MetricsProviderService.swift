import ServiceLifecycle

/// Releases the metrics provider's connections once the group shuts down. Listed first among
/// the controller's services, so it stops last: after the loop's final pass.
struct MetricsProviderService: Service {
    let close: @Sendable () async throws -> Void

    func run() async throws {
        // Waits for the graceful shutdown (or cancellation), then closes.
        try? await gracefulShutdown()
        try await close()
    }
}
