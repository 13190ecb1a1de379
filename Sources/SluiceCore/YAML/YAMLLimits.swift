/// Caps that keep a hostile or broken file from costing much: every one is checked before
/// the work it bounds is done.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest file accepted, in bytes. Manifests are small; 1 MiB is far above any real one.
    public var maxFileBytes: Int
    /// Deepest nesting of mappings and lists. A manifest needs about 8.
    public var maxDepth: Int
    /// Most nodes one document may stand for once aliases are expanded ("billion laughs" guard).
    public var maxExpandedNodes: Int
    /// Most nodes the aliases of one file may stand for, over all its documents. Validation
    /// walks an alias's target each time it is used, so this bounds the work a small file can
    /// cause; real manifests use aliases for a few shared keys, far below it.
    public var maxAliasNodes: Int
    /// Most nodes the aliases of all files read together (one `sluice validate` run, one
    /// repository read of the controller) may stand for, so many files cannot add up.
    public var maxAliasNodesPerRead: Int
    /// Most diagnostics listed per file; the rest are counted in one last "and N more".
    public var maxDiagnosticsPerFile: Int

    /// Creates limits.
    public init(
        maxFileBytes: Int = 1 << 20, maxDepth: Int = 64, maxExpandedNodes: Int = 100_000,
        maxAliasNodes: Int = 10_000, maxAliasNodesPerRead: Int = 50_000, maxDiagnosticsPerFile: Int = 100
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxExpandedNodes = maxExpandedNodes
        self.maxAliasNodes = maxAliasNodes
        self.maxAliasNodesPerRead = maxAliasNodesPerRead
        self.maxDiagnosticsPerFile = maxDiagnosticsPerFile
    }

    /// The diagnostic for a file over ``maxFileBytes``; also used by readers that learn a
    /// file's size without reading it (a git blob's header).
    public func oversizedDiagnostic(file: String, size: Int) -> Diagnostic {
        Diagnostic(
            file: file, location: .start, code: .limit,
            message: "file is \(size) bytes; the limit is \(maxFileBytes) bytes per manifest file")
    }

    /// The limits `sluice validate` uses unless told otherwise.
    public static let `default` = YAMLLimits()
}
