import SluiceCore

/// How the fetcher unpacks an archive artifact into a directory. A seam so this file compiles
/// before `ArchiveUnpacker` (the HTTPS helper's) is merged; once it is, ``standard`` becomes
/// `ArchiveUnpacker.unpackDetached(archive, format:, into:, limits: ArchiveLimits(maxBytes:), name:)`.
struct ArchiveUnpack: Sendable {
    /// Unpacks `archive` of `format` into `directory` (missing or empty; removed on failure),
    /// refusing more than `maxBytes` unpacked; `name` is the artifact, redacted, for errors.
    let run: @Sendable (_ archive: String, _ format: ArchiveFormat, _ directory: String, _ maxBytes: Int64, _ name: String) async throws -> Void

    /// The unpacker used outside tests.
    static let standard = ArchiveUnpack { _, format, _, _, name in
        throw ArtifactFetchError(.unsupported, "artifact \(name) is a .\(format.rawValue) archive, and unpacking archives is not built into this fetcher yet")
    }
}
