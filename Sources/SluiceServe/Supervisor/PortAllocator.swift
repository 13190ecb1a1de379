import Foundation

/// Hands out loopback ports from the configured range, skipping ports in use by this
/// data plane or (checked by binding) by anything else on the machine.
package struct PortAllocator {
    let range: ClosedRange<Int>
    private var used: Set<Int> = []
    private var cursor: Int

    init(range: ClosedRange<Int>) {
        self.range = range
        cursor = range.lowerBound
    }

    /// A free port, or nil when the range is exhausted.
    mutating func allocate() -> Int? {
        for _ in 0..<range.count {
            let port = cursor
            cursor = cursor == range.upperBound ? range.lowerBound : cursor + 1
            if !used.contains(port), Self.isFree(port) {
                used.insert(port)
                return port
            }
        }
        return nil
    }

    /// Returns `port` to the pool.
    mutating func release(_ port: Int) {
        used.remove(port)
    }

    /// Whether `port` can be bound on the loopback address now (the probe lets go of it at once).
    package static func isFree(_ port: Int) -> Bool {
        // Close-on-exec: a child started by another thread in the moment this probe is open
        // would otherwise keep the port bound, and the model server given it could not bind.
        probe(port) { bind($0, $1, $2) == 0 }
    }

    /// Runs `call` with a fresh close-on-exec TCP socket and `127.0.0.1:port`, then closes it.
    package static func probe(_ port: Int, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
