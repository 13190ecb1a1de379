/// Listeners closed as one: the inference listeners (HTTP/1 and gRPC) drain at the same
/// time. As two services of the group they would drain one after the other (the group stops
/// its services in turn), the second still taking new requests while the first drained.
package struct ClosableListeners: ClosableListener {
    let listeners: [any ClosableListener]

    package init(_ listeners: [any ClosableListener]) {
        self.listeners = listeners
    }

    /// Closes every listener concurrently; returns when all have closed.
    package func close() async {
        await withTaskGroup(of: Void.self) { group in
            for listener in listeners { group.addTask { await listener.close() } }
        }
    }
}
