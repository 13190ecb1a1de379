import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Hummingbird's HTTP/1 channel with Sluice's connection rules around it: every accepted
/// socket is made close-on-exec before anything else (a model server must not inherit
/// it), connections beyond ``ServerLimits/maximumConnections`` are closed at accept, and a
/// ``ConnectionGuard`` bounds how long a head or body may take.
struct APIChildChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let limits: ServerLimits
    /// Close-on-exec and the connection cap, shared by the listener's connections.
    let admission: ConnectionAdmission

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try admission.admit(channel)
        } catch let refused as ConnectionLimitReached {
            return channel.close().flatMapThrowing { () throws -> Value in throw refused }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let connectionGuard = ConnectionGuard(limits: limits)
        do {
            try channel.pipeline.syncOperations.addHandler(FirstByteObserver(connectionGuard))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let http = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [connectionGuard], idleTimeout: limits.idleTimeout))
        return http.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
