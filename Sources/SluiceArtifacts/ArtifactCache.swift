import SluiceCore

/// The content-addressed cache of fetched artifacts under one directory: `sha256/<hex>` (a
/// file or a directory), written through a temporary name with fsync and rename, reused only
/// after its content is checked, evicted least-recently-used above `maxBytes` except what
/// is pinned.
public actor ArtifactCache {
    public let directory: String
    public let maxBytes: Int64
    var pinned: Set<SluiceCore.Digest> = []

    public init(directory: String, maxBytes: Int64) throws {
        self.directory = directory
        self.maxBytes = maxBytes
    }

    /// Replaces the set of digests that must not be evicted.
    public func pin(_ digests: Set<SluiceCore.Digest>) {
        pinned = digests
    }
}
