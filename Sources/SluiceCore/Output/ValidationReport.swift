/// Everything `sluice validate` found in one run.
public struct ValidationReport: Sendable {
    /// The files validated, in path order.
    public var files: [ManifestFile]
    /// All diagnostics, file-level and repository-level, sorted.
    public var diagnostics: [Diagnostic]

    /// Builds a report from validated files, adding repository-level diagnostics.
    public init(files: [ManifestFile]) {
        let sorted = files.sorted { $0.path < $1.path }
        self.files = sorted
        self.diagnostics = (sorted.flatMap(\.diagnostics) + RepositoryValidator.crossFileDiagnostics(sorted)).sorted()
    }

    /// The number of errors.
    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    /// Whether every file is valid.
    public var isValid: Bool { errorCount == 0 }
    /// The number of models declared (valid or not).
    public var modelCount: Int { files.reduce(0) { $0 + $1.entries.count } }
    /// The number of files with at least one error.
    public var invalidFileCount: Int { Set(diagnostics.filter { $0.severity == .error }.map(\.file)).count }

    /// A one-line summary: "3 files, 5 models: valid" (", 1 warning" when there are) or
    /// "2 errors in 1 of 3 files".
    public var summary: String {
        let files = "\(self.files.count) file\(self.files.count == 1 ? "" : "s")"
        if isValid {
            let warnings = diagnostics.count { $0.severity == .warning }
            let advice = warnings == 0 ? "" : ", \(warnings) warning\(warnings == 1 ? "" : "s")"
            return "\(files), \(modelCount) model\(modelCount == 1 ? "" : "s"): valid\(advice)"
        }
        return "\(errorCount) error\(errorCount == 1 ? "" : "s") in \(invalidFileCount) of \(files)"
    }
}
