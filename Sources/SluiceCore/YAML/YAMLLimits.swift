/// Caps that keep a hostile or broken file from costing much: every one is checked before
/// the work it bounds is done.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest file accepted, in bytes. Manifests are small; 1 MiB is far above any real one.
    public var maxFileBytes: Int
    /// Deepest nesting of mappings and lists. A manifest needs about 8.
    public var maxDepth: Int
    /// Most nodes one document may stand for once aliases are expanded ("billion laughs" guard).
    public var maxExpandedNodes: Int

    /// Creates limits.
    public init(maxFileBytes: Int = 1 << 20, maxDepth: Int = 64, maxExpandedNodes: Int = 100_000) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxExpandedNodes = maxExpandedNodes
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
