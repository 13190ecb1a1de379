/// Rules that span files: each model is declared once in the whole tree.
public enum RepositoryValidator {
    /// Diagnostics for models declared more than once, each naming the first declaration.
    /// Files are considered in the order given; pass them sorted for stable output.
    public static func crossFileDiagnostics(_ files: [ManifestFile]) -> [Diagnostic] {
        var firstDeclaration: [String: (path: String, location: SourceLocation)] = [:]
        var diagnostics: [Diagnostic] = []
        for file in files {
            for entry in file.entries {
                guard let name = entry.name else { continue }
                if let first = firstDeclaration[name] {
                    let place = first.path == file.path ? "line \(first.location.line)" : "\(first.path):\(first.location.line):\(first.location.column)"
                    diagnostics.append(
                        Diagnostic(
                            file: file.path, location: entry.nameLocation, code: .duplicateModel, fieldPath: "metadata.name",
                            message: "model '\(name)' is already declared at \(place); each model is declared once"))
                } else {
                    firstDeclaration[name] = (file.path, entry.nameLocation)
                }
            }
        }
        return diagnostics
    }
}
