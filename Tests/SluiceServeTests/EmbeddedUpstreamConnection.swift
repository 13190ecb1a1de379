import NIOCore
import NIOEmbedded
import SluiceCore

@testable import SluiceServe

/// An upstream connection's handler on an embedded channel that reports itself connected
/// (to 127.0.0.1:9101; nothing leaves the process): what it writes is read back from the channel.
func connectedUpstreamHandler() throws -> (channel: EmbeddedChannel, handler: UpstreamConnectionHandler) {
    let channel = EmbeddedChannel()
    let handler = UpstreamConnectionHandler(address: UpstreamAddress(host: "127.0.0.1", port: 9101))
    try channel.pipeline.syncOperations.addHandler(handler)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9101)).wait()
    return (channel, handler)
}
