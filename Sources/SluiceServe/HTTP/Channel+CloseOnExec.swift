import Foundation
import NIOCore
import NIOPosix

extension ChannelPipeline.SynchronousOperations {
    /// Marks the channel's socket close-on-exec. NIO creates sockets (and accepts
    /// connections) without `SOCK_CLOEXEC`, so without this every exec'd program would
    /// inherit the listeners and connections, admin token included. Call on the event loop.
    func markCloseOnExec() throws {
        _ = try withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) { descriptor in
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
