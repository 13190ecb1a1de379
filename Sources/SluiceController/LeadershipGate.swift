/// Whether this controller replica may act. With leader election (a Lease on a cluster)
/// only the holder reconciles, collects monitors and takes commands; the others wait, ready
/// to take over. Without it (nil in the environment) the one replica always acts.
public protocol LeadershipGate: Sendable {
    /// Whether this replica holds the lease now.
    var isLeader: Bool { get }
}
