/// What a repository asks for at one revision: the valid models by name, the manifests that
/// are invalid (by model name when it can be read, else by file), and every diagnostic.
///
/// An invalid manifest affects only its own model (DESIGN §3): the planner keeps that model's
/// last good state instead of pruning or changing it, while the others plan normally.
///
/// ```swift
/// let files = paths.map { validator.validate(bytes: read($0), path: $0) }
/// let state = DesiredState(revision: "3f2a9c1", files: files)
/// ```
public struct DesiredState: Sendable {
    /// A model whose manifest is valid at this revision.
    public struct Model: Sendable, Hashable {
        /// The decoded deployment.
        public var deployment: ModelDeployment
        /// The file it is declared in.
        public var path: String
        /// Where its name is written.
        public var nameLocation: SourceLocation
        /// ``ModelDeployment/specDigest``, computed once.
        public var specDigest: String

        /// Creates a model entry; the digest is computed from the deployment unless given.
        public init(deployment: ModelDeployment, path: String, nameLocation: SourceLocation = .start, specDigest: String? = nil) {
            self.deployment = deployment
            self.path = path
            self.nameLocation = nameLocation
            self.specDigest = specDigest ?? deployment.specDigest
        }

        /// The model's name.
        public var name: String { deployment.name }
    }

    /// A manifest that is invalid at this revision: a model's document, or a part of a file
    /// that names no model (a syntax error, a document whose name cannot be read).
    public struct InvalidManifest: Sendable, Hashable {
        /// The model's name; nil when it cannot be read.
        public var name: String?
        /// The file (the first one, for a model declared twice).
        public var path: String
        /// The errors that make it invalid.
        public var diagnostics: [Diagnostic]

        /// Creates an invalid-manifest record.
        public init(name: String?, path: String, diagnostics: [Diagnostic]) {
            self.name = name
            self.path = path
            self.diagnostics = diagnostics
        }
    }

    /// The revision (commit) these files were read at, as the caller names it.
    public var revision: String
    /// The valid models, by name.
    public var models: [String: Model]
    /// Models whose manifest is invalid at this revision (including models declared twice), by name.
    public var invalidModels: [String: InvalidManifest]
    /// Files with errors that no readable model name accounts for, by path. A model that was
    /// declared in such a file may still be, so it is not treated as removed.
    public var invalidFiles: [String: InvalidManifest]
    /// Every diagnostic, file-level and repository-level, sorted.
    public var diagnostics: [Diagnostic]
    /// The paths of the files read, sorted.
    public var paths: [String]

    /// Builds the desired state from validated files (in any order; they are sorted by path so
    /// the result does not depend on the order files were listed in).
    public init(revision: String, files: [ManifestFile]) {
        let files = files.sorted { ModelDeployment.utf8Less($0.path, $1.path) }
        let repositoryDiagnostics = RepositoryValidator.crossFileDiagnostics(files)
        var valid: [String: [Model]] = [:]
        var invalidModels: [String: InvalidManifest] = [:]
        var invalidFiles: [String: InvalidManifest] = [:]
        var declarations: [String: [(path: String, location: SourceLocation)]] = [:]

        for file in files {
            var perEntry = [[Diagnostic]](repeating: [], count: file.entries.count)
            var fileLevel: [Diagnostic] = []
            for diagnostic in file.diagnostics where diagnostic.severity == .error {
                if let index = Self.entryIndex(of: diagnostic, in: file) {
                    perEntry[index].append(diagnostic)
                } else {
                    fileLevel.append(diagnostic)
                }
            }
            for (index, entry) in file.entries.enumerated() {
                guard let name = entry.name else {
                    fileLevel += perEntry[index]
                    continue
                }
                declarations[name, default: []].append((file.path, entry.nameLocation))
                if let deployment = entry.deployment, perEntry[index].isEmpty {
                    valid[name, default: []].append(
                        Model(deployment: deployment, path: file.path, nameLocation: entry.nameLocation, specDigest: entry.specDigest))
                } else {
                    var record = invalidModels[name] ?? InvalidManifest(name: name, path: file.path, diagnostics: [])
                    record.diagnostics += perEntry[index]
                    invalidModels[name] = record
                }
            }
            if !fileLevel.isEmpty {
                invalidFiles[file.path] = InvalidManifest(name: nil, path: file.path, diagnostics: fileLevel.sorted())
            }
        }

        // A model declared twice is ambiguous: neither declaration is used.
        for (name, places) in declarations where places.count > 1 {
            let duplicates = repositoryDiagnostics.filter { diagnostic in
                places.contains { $0.path == diagnostic.file && $0.location == diagnostic.location }
            }
            var record = invalidModels[name] ?? InvalidManifest(name: name, path: places[0].path, diagnostics: [])
            record.diagnostics += duplicates
            invalidModels[name] = record
            valid[name] = nil
        }
        for name in invalidModels.keys {
            valid[name] = nil
            invalidModels[name]?.diagnostics.sort()
        }

        self.revision = revision
        self.models = valid.compactMapValues(\.first)
        self.invalidModels = invalidModels
        self.invalidFiles = invalidFiles
        self.diagnostics = (files.flatMap(\.diagnostics) + repositoryDiagnostics).sorted()
        self.paths = files.map(\.path)
    }

    /// Creates a state from already-decoded models, for callers that have no files (tests, a
    /// recorded inventory).
    public init(
        revision: String, models: [Model], invalidModels: [InvalidManifest] = [], invalidFiles: [InvalidManifest] = []
    ) {
        self.revision = revision
        self.models = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.invalidModels = Dictionary(
            invalidModels.compactMap { record in record.name.map { ($0, record) } }, uniquingKeysWith: { first, _ in first })
        self.invalidFiles = Dictionary(invalidFiles.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.diagnostics = (invalidModels + invalidFiles).flatMap(\.diagnostics).sorted()
        self.paths = Array(Set(models.map(\.path) + (invalidModels + invalidFiles).map(\.path))).sorted()
    }

    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Whether the revision declares no model at all, valid or not, and has nothing unreadable
    /// that might declare one: the case Argo CD's `allowEmpty` guards.
    public var declaresNothing: Bool {
        models.isEmpty && invalidModels.isEmpty && invalidFiles.isEmpty && unchangedElsewhere == 0
    }

    /// Models declared in files this state leaves out because they are the same at both
    /// revisions of a plan (an incremental plan reads only what changed). They count as
    /// unchanged and keep the state from looking empty.
    public var unchangedElsewhere = 0

    /// Every model name declared, valid or not, sorted.
    public var modelNames: [String] {
        Set(models.keys).union(invalidModels.keys).sorted(by: ModelDeployment.utf8Less)
    }

    /// The entry a diagnostic belongs to: the one whose document contains its position.
    /// Syntax errors and limits stop reading the rest of the file, so they belong to the file.
    private static func entryIndex(of diagnostic: Diagnostic, in file: ManifestFile) -> Int? {
        guard diagnostic.code != .syntax, diagnostic.code != .limit else { return nil }
        guard !file.documentLocations.isEmpty else {
            // Without document positions only a one-model file can be attributed.
            return file.entries.count == 1 ? 0 : nil
        }
        for (index, entry) in file.entries.enumerated() where entry.documentIndex < file.documentLocations.count {
            let start = file.documentLocations[entry.documentIndex]
            let next = entry.documentIndex + 1
            let end = next < file.documentLocations.count ? file.documentLocations[next] : nil
            if diagnostic.location >= start, end.map({ diagnostic.location < $0 }) ?? true { return index }
        }
        return nil
    }
}
