import NIOCore
import NIOPosix
import ServiceLifecycle

/// The supervisor as a service: it supervises the model servers until shutdown, then stops
/// every one of them (SIGTERM, then SIGKILL after the stop timeout). It is the data plane's
/// first service, so the group stops it last, once both listeners are closed; then nothing
/// uses the event loops any more and they are shut down too.
struct SupervisorService: Service, CustomStringConvertible {
    let supervisor: Supervisor
    let eventLoops: MultiThreadedEventLoopGroup
    /// The gateway's own loops (`serve.gatewayEngine: epoll`), shut down with NIO's.
    var gatewayLoops: [EpollEventLoop] = []

    var description: String { "supervisor" }

    func run() async {
        await cancelWhenGracefulShutdown { [supervisor] in await supervisor.run() }
        // A task of its own: stopping waits between checks, and the sleeps of a cancelled
        // task would return at once and cut the stop timeout short.
        await Task { [supervisor] in await supervisor.shutdown() }.value
        try? await eventLoops.shutdownGracefully()
        for loop in gatewayLoops { try? await loop.shutdownGracefully() }
    }
}
