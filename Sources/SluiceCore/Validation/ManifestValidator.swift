/// Validates manifest files: YAML syntax and limits, the schema, then the semantics.
///
/// ```swift
/// let validator = ManifestValidator()
/// let file = validator.validate(bytes: Array(yaml.utf8), path: "manifests/fraud.yaml")
/// for diagnostic in file.diagnostics { print(diagnostic.message) }
/// ```
///
/// It is pure: callers read files and pass bytes. Repository-level rules (a model declared
/// twice) are checked over many files by ``RepositoryValidator``.
public struct ManifestValidator: Sendable {
    /// The YAML limits in force.
    public var limits: YAMLLimits
    /// Whether valid documents are decoded into ``ModelDeployment`` values; `sluice validate`
    /// only needs the verdict and turns this off.
    public var decodesModels: Bool
    /// Whether advice about artifacts is reported as warnings: a mutable reference (S3 key,
    /// https URL, MLflow alias) without `digest:`, and a URI only a cluster runtime fetches.
    /// `sluice validate` turns it on (and `--strict` makes them errors).
    public var artifactWarnings: Bool
    /// Whether advice about rollouts is reported as warnings: a shadow step that no check
    /// judges. `sluice validate` turns it on (and `--strict` makes it an error).
    public var rolloutWarnings: Bool

    /// Creates a validator.
    public init(limits: YAMLLimits = .default, decodesModels: Bool = true, artifactWarnings: Bool = false, rolloutWarnings: Bool = false) {
        self.limits = limits
        self.decodesModels = decodesModels
        self.artifactWarnings = artifactWarnings
        self.rolloutWarnings = rolloutWarnings
    }

    /// Validates one file's bytes; `path` is used in diagnostics only. The file is its own
    /// read: its aliases may use the whole per-read budget.
    public func validate(bytes: [UInt8], path: String) -> ManifestFile {
        var budget = AliasBudget(limits: limits)
        return validate(compose(bytes: bytes, path: path), budget: &budget)
    }

    /// Composes one file, the cheap first step (its cost follows its size, whatever its
    /// aliases stand for); ``validate(_:budget:)`` is the second.
    public func compose(bytes: [UInt8], path: String) -> ComposedManifest {
        ComposedManifest(path: path, stream: YAMLComposer(limits: limits).compose(bytes, file: path), source: bytes)
    }

    /// Validates a composed file. A file with aliases spends its share of `budget`, shared by
    /// every file of one read; when that is spent the file is refused, not validated.
    public func validate(_ composed: ComposedManifest, budget: inout AliasBudget) -> ManifestFile {
        let path = composed.path
        let stream = composed.stream
        var diagnostics = stream.diagnostics
        var suppressed = stream.suppressedDiagnostics
        var entries: [ManifestFile.Entry] = []
        if case .refuse(let refusal) = budget.spend(on: composed) {
            if let refusal { diagnostics.append(refusal) }
            return ManifestFile(path: path, entries: [], diagnostics: capped(diagnostics.sorted(), path: path, suppressed: suppressed))
        }
        for (index, document) in stream.documents.enumerated() {
            if case .scalar(let scalar) = document.root.content, scalar.value == .null { continue }  // `---` alone
            // Once a file has more problems than are listed, later ones are only counted.
            let room = max(limits.maxDiagnosticsPerFile + 1 - diagnostics.count, 0)
            let result = validate(document: document, index: index, path: path, source: composed.source, limit: room)
            diagnostics += result.diagnostics
            suppressed += result.suppressed
            if let entry = result.entry { entries.append(entry) }
        }
        // Empty documents (`---` alone) are skipped above, so a file of only those holds nothing either.
        if entries.isEmpty, diagnostics.isEmpty {
            diagnostics.append(
                Diagnostic(file: path, location: .start, code: .missingField, message: "the file holds no YAML document"))
        }
        return ManifestFile(
            path: path, entries: entries, diagnostics: capped(diagnostics.sorted(), path: path, suppressed: suppressed),
            documentLocations: stream.documents.map(\.location))
    }

    /// The first ``YAMLLimits/maxDiagnosticsPerFile`` diagnostics and one that counts the rest,
    /// so that one file cannot flood a report (or a CI log) with thousands of lines. Limit
    /// diagnostics are always kept: they say why the rest may be incomplete.
    /// `suppressed` counts problems found past the cap whose messages were never built (all
    /// errors).
    func capped(_ sorted: [Diagnostic], path: String, suppressed: Int = 0) -> [Diagnostic] {
        let cap = max(limits.maxDiagnosticsPerFile, 0)
        guard sorted.count > cap || suppressed > 0 else { return sorted }
        let limitsHit = sorted.filter { $0.code == .limit }
        let others = sorted.filter { $0.code != .limit }
        let keep = max(cap - limitsHit.count, 0)
        let omitted = others.dropFirst(keep)
        let count = omitted.count + suppressed
        guard count > 0 else { return sorted }
        let errors = omitted.count { $0.severity == .error } + suppressed
        let summary = Diagnostic(
            file: path, location: omitted.first?.location ?? others.last?.location ?? .start,
            severity: errors > 0 ? .error : .warning, code: .limit,
            message: "… and \(count) more problem\(count == 1 ? "" : "s") in this file (\(errors) error\(errors == 1 ? "" : "s")); only the first \(cap) are listed")
        return (Array(others.prefix(keep)) + limitsHit).sorted() + [summary]
    }

    /// One document; at most `limit` diagnostics are built, the rest only counted.
    private func validate(document: YAMLDocument, index: Int, path: String, source: [UInt8], limit: Int)
        -> (entry: ManifestFile.Entry?, diagnostics: [Diagnostic], suppressed: Int)
    {
        let root = document.root
        var schema = SchemaValidator(file: path, limit: limit)
        guard root.entries != nil else {
            schema.report(root.location, .wrongType, "", "expected a ModelDeployment document (a mapping with apiVersion, kind, metadata and spec); found \(root.kindDescription)")
            return (nil, schema.diagnostics, schema.suppressed)
        }
        if let problem = unsupportedHeader(root) {
            schema.report(problem.location, .invalidValue, problem.field, problem.message)
            return (nil, schema.diagnostics, schema.suppressed)
        }
        schema.validate(root, as: ManifestSchema.document, path: "", owner: root.location)
        var semantics = SemanticValidator(
            file: path, source: source, limit: max(limit - schema.diagnostics.count, 0), artifactWarnings: artifactWarnings,
            rolloutWarnings: rolloutWarnings)
        semantics.check(document: root)
        let diagnostics = schema.diagnostics + semantics.diagnostics
        let suppressed = schema.suppressed + semantics.suppressed
        let nameNode = root["metadata"]?["name"]
        let name = root["metadata"]?.string("name")
        // Warnings (advice) leave a document valid.
        let hasErrors = diagnostics.contains { $0.severity == .error } || suppressed > 0
        let deployment = !hasErrors && decodesModels ? ManifestDecoder.decode(root) : nil
        let entry = ManifestFile.Entry(
            deployment: deployment, name: name, nameLocation: nameNode?.location ?? root.location, documentIndex: index,
            specDigest: deployment?.specDigest)
        return (entry, diagnostics, suppressed)
    }

    /// A document of another format or version is reported once, not field by field.
    private func unsupportedHeader(_ root: YAMLNode) -> (location: SourceLocation, field: String, message: String)? {
        if let node = root["apiVersion"], let version = root.string("apiVersion"), version != ManifestSchema.apiVersion {
            let hint = version.hasPrefix("sluice/") ? "this sluice reads \(ManifestSchema.apiVersion)" : "Sluice manifests use apiVersion \(ManifestSchema.apiVersion)"
            return (node.location, "apiVersion", "unsupported apiVersion '\(version)'; \(hint)")
        }
        if let node = root["kind"], let kind = root.string("kind"), kind != ManifestSchema.kind {
            var message = "unsupported kind '\(kind)'; Sluice manifests are kind \(ManifestSchema.kind)"
            if Suggestion.closest(to: kind, among: [ManifestSchema.kind]) != nil {
                message = "unsupported kind '\(kind)'; did you mean '\(ManifestSchema.kind)'?"
            }
            return (node.location, "kind", message)
        }
        return nil
    }
}
