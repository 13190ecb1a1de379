import SluiceCore

/// An upstream address as the connection pools key it, hashed once when it is made: an
/// ``UpstreamTarget`` holds one, so a routed request's pool lookup hashes one integer, not
/// the host's name (Benchmarks/README.md, "Hot path, slice 38").
package struct PooledAddress: Hashable, Sendable {
    package let address: UpstreamAddress
    private let hashCode: Int

    package init(_ address: UpstreamAddress) {
        self.address = address
        hashCode = address.hashValue
    }

    package static func == (lhs: PooledAddress, rhs: PooledAddress) -> Bool {
        lhs.hashCode == rhs.hashCode && lhs.address == rhs.address
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(hashCode)
    }
}
