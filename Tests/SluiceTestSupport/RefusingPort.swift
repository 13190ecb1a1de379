import Foundation

/// A loopback port that refuses every connection, for as long as this value lives.
///
/// The socket is bound but never listens, so a connect gets a reset at once, and no other
/// test can bind the port meanwhile. A port bound and closed again does not give that: on a
/// busy machine the kernel hands it to the next test's listener, and a client that retries
/// for seconds then reaches a server that never answers (a timeout, not a refusal).
public final class RefusingPort: @unchecked Sendable {
    /// The refusing port on 127.0.0.1.
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try Self.bindLoopback(listening: false)
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks (close-on-exec), listening
    /// (backlog 4) or not, and its port; the caller closes the descriptor.
    public static func bindLoopback(listening: Bool) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && (!listening || listen(descriptor, 4) == 0) && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    deinit { close(descriptor) }
}
