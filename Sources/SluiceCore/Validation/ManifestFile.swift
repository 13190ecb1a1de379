/// The outcome of validating one manifest file.
public struct ManifestFile: Sendable {
    /// One model declared in the file.
    public struct Entry: Sendable {
        /// The decoded model; nil when its document has errors or decoding was turned off.
        public var deployment: ModelDeployment?
        /// The model's name as written, when readable (for repository-level checks).
        public var name: String?
        /// Where the name is written.
        public var nameLocation: SourceLocation
        /// The document's index in the file (0-based).
        public var documentIndex: Int
        /// ``ModelDeployment/specDigest`` of `deployment`, computed once when it is decoded so
        /// that cached files never pay for it again.
        public var specDigest: String?
    }

    /// The file's path as the user named it.
    public var path: String
    /// The models it declares, valid or not.
    public var entries: [Entry]
    /// Every problem found, sorted by position.
    public var diagnostics: [Diagnostic]
    /// Where each composed document starts, indexed like ``Entry/documentIndex``; empty when
    /// unknown. The plan uses it to tell which model a diagnostic belongs to.
    public var documentLocations: [SourceLocation]

    /// Creates a file result.
    public init(path: String, entries: [Entry], diagnostics: [Diagnostic], documentLocations: [SourceLocation] = []) {
        self.path = path
        self.entries = entries
        self.diagnostics = diagnostics
        self.documentLocations = documentLocations
    }

    /// Whether the file has no errors.
    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
}
