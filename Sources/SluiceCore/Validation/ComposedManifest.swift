/// A manifest file composed but not yet validated: what its aliases stand for is known, so a
/// shared ``AliasBudget`` can decide whether validating it is affordable.
public struct ComposedManifest: Sendable {
    /// The file's path as the user named it.
    public let path: String
    /// The composed documents and the composer's diagnostics.
    let stream: YAMLStream
    /// The file's bytes (shared, not copied), to point inside values such as queries.
    let source: [UInt8]

    /// How many nodes the file's aliases stand for (0 for a file without aliases, which
    /// costs only its size and never spends a shared budget).
    public var aliasNodes: Int { stream.aliasNodes }
}
