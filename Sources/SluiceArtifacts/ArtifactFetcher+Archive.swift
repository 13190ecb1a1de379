import SluiceCore

/// How the fetcher unpacks an archive artifact into a directory: ``ArchiveUnpacker`` in
/// production, a stand-in in the fetcher's tests (which test the fetcher, not the archive formats).
struct ArchiveUnpack: Sendable {
    /// Unpacks `archive` of `format` into `directory` (missing or empty; removed on failure),
    /// refusing more than `maxBytes` unpacked; `name` is the artifact, redacted, for errors.
    let run: @Sendable (_ archive: String, _ format: ArchiveFormat, _ directory: String, _ maxBytes: Int64, _ name: String) async throws -> Void

    /// The unpacker used outside tests.
    static let standard = ArchiveUnpack { archive, format, directory, maxBytes, name in
        _ = try await ArchiveUnpacker.unpackDetached(archive, format: format, into: directory, limits: ArchiveLimits(maxBytes: maxBytes), name: name)
    }
}
