import NIOConcurrencyHelpers

/// The connections each loop of a listener holds, so that a new one goes to the loop holding
/// the fewest (Envoy's "exact" connection balance). The loops share one listening socket and
/// the one woken accepts everything pending: a burst of connections, as a client pool opens
/// them, would otherwise all land on one loop and leave the other cores idle while that loop
/// is the bottleneck (Benchmarks/README.md, "Hot path, slice 57").
struct ConnectionBalance: Sendable {
    private let open: NIOLockedValueBox<[Int]>

    init(loops: Int) {
        precondition(loops > 0, "a listener runs on at least one loop")
        open = NIOLockedValueBox([Int](repeating: 0, count: loops))
    }

    /// The loop that takes a connection accepted on loop `accepting`: the one holding the
    /// fewest, `accepting` itself on a tie (no handover), else the lowest-numbered. Counted
    /// open until ``release(_:)``.
    func assign(acceptedOn accepting: Int) -> Int {
        open.withLockedValue { open in
            var chosen = accepting
            for loop in open.indices where open[loop] < open[chosen] { chosen = loop }
            open[chosen] += 1
            return chosen
        }
    }

    /// Counts a connection of `loop` closed.
    func release(_ loop: Int) {
        open.withLockedValue { $0[loop] -= 1 }
    }

    /// The connections each loop holds now.
    var counts: [Int] { open.withLockedValue { $0 } }
}
