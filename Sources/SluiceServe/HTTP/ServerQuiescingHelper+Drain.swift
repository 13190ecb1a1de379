import NIOCore
import NIOExtras

extension ServerQuiescingHelper {
    /// Closes the listener, tells each of its open connections to drain
    /// (`ChannelShouldQuiesceEvent`: each answers what it has begun, then closes) and returns
    /// when all are closed, or after `timeout` (the rest close when their event loops stop).
    /// Both NIO listeners close this way: HTTP/1 (``HTTPServerHost``) and gRPC
    /// (``GRPCServerHost``).
    func drain(on eventLoop: any EventLoop, within timeout: Swift.Duration) async {
        let drained = eventLoop.makePromise(of: Void.self)
        initiateShutdown(promise: drained)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await drained.futureResult.get() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
