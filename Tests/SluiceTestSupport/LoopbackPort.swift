import Foundation
import SluiceServe

/// Probes of loopback ports for the peers the tests start (the data plane's own probe).
public enum LoopbackPort {
    /// True when something accepts connections on the loopback `port` now.
    public static func accepts(_ port: Int) -> Bool {
        PortAllocator.probe(port) { connect($0, $1, $2) == 0 }
    }

    /// True when the loopback `port` can be bound now (the probe lets go of it at once).
    public static func isFree(_ port: Int) -> Bool {
        PortAllocator.isFree(port)
    }
}
