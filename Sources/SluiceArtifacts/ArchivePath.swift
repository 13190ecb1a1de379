/// A member's path as an archive wrote it, checked before anything is created.
struct ArchivePath {
    /// The longest member path accepted, in bytes (PATH_MAX on Linux).
    static let maximumBytes = 4096

    /// Its segments (never empty, `.` or `..`).
    var components: [String]
    /// Written with a trailing `/`.
    var isDirectory: Bool

    /// The checked path of member `raw`, or nil for the archive's root itself (`.`, `./`).
    /// Throws `.unsafePath`, naming the member, for an absolute path, `..`, an empty segment,
    /// a backslash, a control character, text that is not UTF-8, or more than 4096 bytes.
    static func checked(_ raw: [UInt8], archive: String) throws -> ArchivePath? {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw refused(String(decoding: raw, as: UTF8.self), archive, "is not UTF-8")
        }
        guard raw.count <= maximumBytes else { throw refused(text, archive, "is longer than \(maximumBytes) bytes") }
        guard !text.hasPrefix("/") else { throw refused(text, archive, "is absolute") }
        var rest = Substring(text)
        while rest.hasPrefix("./") { rest = rest.dropFirst(2) }
        let isDirectory = rest.hasSuffix("/")
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.isEmpty || rest == "." { return nil }
        guard !rest.contains("\\"), !rest.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refused(text, archive, "holds a backslash or a control character")
        }
        let components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if components.contains("..") { throw refused(text, archive, "climbs out with '..'") }
        if components.contains(where: { $0.isEmpty || $0 == "." }) { throw refused(text, archive, "has an empty or '.' segment") }
        return ArchivePath(components: components, isDirectory: isDirectory)
    }

    /// The `.unsafePath` error for member `name` of `archive`.
    static func refused(_ name: String, _ archive: String, _ reason: String) -> ArtifactFetchError {
        ArtifactFetchError(.unsafePath, "the archive \(archive) holds member '\(ArtifactFetchError.printable(name))', which \(reason); nothing from it is used")
    }
}
