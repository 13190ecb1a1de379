import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceConfig

/// A Hummingbird listener (TCP or unix socket) for the admin and controller APIs, serving
/// one router until closed, with Sluice's connection rules (``APIChildChannel``): sockets
/// close-on-exec, a connection cap, head and body deadlines, an idle timeout, and a unix
/// socket file readable by its owner only.
package final class APIServer: Sendable {
    /// The bound TCP port (useful when the config asked for port 0); nil for a unix socket.
    package let port: Int?
    private let task: Task<Void, Never>

    private init(port: Int?, task: Task<Void, Never>) {
        self.port = port
        self.task = task
    }

    /// Binds `address` and serves `router` until ``close()``; throws when it cannot bind.
    package static func start(
        router: Router<BasicRequestContext>, address: ServeConfig.ListenAddress, limits: ServerLimits, group: any EventLoopGroup
    ) async throws -> APIServer {
        let bind: BindAddress
        switch address {
        case .tcp(let host, let port): bind = .hostname(host, port: port)
        case .unix(let path): bind = .unixDomainSocket(path: path)
        }
        let admission = ConnectionAdmission(maximumConnections: limits.maximumConnections)
        let started = Started()
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in APIChildChannel(responder: responder, limits: limits, admission: admission) },
            configuration: ApplicationConfiguration(address: bind, serverName: nil, backlog: 1024, reuseAddress: true),
            onServerRunning: { channel in
                // The listening socket too: NIO creates it without SOCK_CLOEXEC.
                try? await channel.eventLoop.submit { try channel.pipeline.syncOperations.markCloseOnExec() }.get()
                if case .unix(let path) = address { chmod(path, 0o600) }
                started.resume(.success(channel.localAddress?.port))
            },
            eventLoopGroupProvider: .shared(group),
            logger: Self.quiet
        )
        let task = Task {
            do {
                try await app.run()
                started.resume(.failure(CancellationError()))
            } catch {
                started.resume(.failure(error))
            }
        }
        do {
            let port = try await started.wait()
            return APIServer(port: port, task: task)
        } catch {
            task.cancel()
            throw error
        }
    }

    /// Stops accepting connections, lets requests in progress finish, and returns when the
    /// listener is closed.
    package func close() async {
        task.cancel()
        await task.value
    }

    /// Hummingbird's own log lines (listening, connection errors) are not Sluice's: the
    /// callers log the bound address themselves.
    private static let quiet = Logger(label: "sluice.api") { _ in SwiftLogNoOpLogHandler() }
}

/// The outcome of starting, handed once from the server's task to the caller.
private final class Started: Sendable {
    private let state = NIOLockedValueBox<(result: Result<Int?, any Error>?, waiter: CheckedContinuation<Int?, any Error>?)>((nil, nil))

    func resume(_ result: Result<Int?, any Error>) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Int?, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> Int? {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLockedValue { state -> Result<Int?, any Error>? in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let result { continuation.resume(with: result) }
        }
    }
}
