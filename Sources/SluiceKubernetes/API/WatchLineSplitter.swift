/// Cuts a watch stream into its newline-separated JSON documents, refusing a line longer
/// than a bound so a hostile stream cannot exhaust memory.
struct WatchLineSplitter {
    /// The longest line accepted, in bytes.
    let maximumLineBytes: Int
    private var pending: [UInt8] = []

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// The complete lines `bytes` ends (without their newline); the rest waits for more.
    /// - Throws: `.unreadable` when a line grows past ``maximumLineBytes``.
    mutating func append(_ bytes: some Collection<UInt8>) throws(KubernetesError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let piece = bytes[start..<newline]
            try checkLength(pending.count + piece.count)
            if pending.isEmpty {
                lines.append(Array(piece))
            } else {
                pending.append(contentsOf: piece)
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
            start = bytes.index(after: newline)
        }
        let rest = bytes[start...]
        try checkLength(pending.count + rest.count)
        pending.append(contentsOf: rest)
        return lines
    }

    /// What is left after the stream ended without a final newline.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }

    private func checkLength(_ count: Int) throws(KubernetesError) {
        guard count <= maximumLineBytes else {
            throw KubernetesError(.unreadable, "a watch event is longer than \(maximumLineBytes) bytes; the stream was dropped")
        }
    }
}
