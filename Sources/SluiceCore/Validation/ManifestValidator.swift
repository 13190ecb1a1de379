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

    /// Creates a validator.
    public init(limits: YAMLLimits = .default, decodesModels: Bool = true) {
        self.limits = limits
        self.decodesModels = decodesModels
    }

    /// Validates one file's bytes; `path` is used in diagnostics only.
    public func validate(bytes: [UInt8], path: String) -> ManifestFile {
        let stream = YAMLComposer(limits: limits).compose(bytes, file: path)
        var diagnostics = stream.diagnostics
        var entries: [ManifestFile.Entry] = []
        for (index, document) in stream.documents.enumerated() {
            if case .scalar(let scalar) = document.root.content, scalar.value == .null { continue }  // `---` alone
            let result = validate(document: document, index: index, path: path)
            diagnostics += result.diagnostics
            if let entry = result.entry { entries.append(entry) }
        }
        // Empty documents (`---` alone) are skipped above, so a file of only those holds nothing either.
        if entries.isEmpty, diagnostics.isEmpty {
            diagnostics.append(
                Diagnostic(file: path, location: .start, code: .missingField, message: "the file holds no YAML document"))
        }
        return ManifestFile(
            path: path, entries: entries, diagnostics: diagnostics.sorted(),
            documentLocations: stream.documents.map(\.location))
    }

    private func validate(document: YAMLDocument, index: Int, path: String) -> (entry: ManifestFile.Entry?, diagnostics: [Diagnostic]) {
        let root = document.root
        var schema = SchemaValidator(file: path)
        guard root.entries != nil else {
            schema.report(root.location, .wrongType, "", "expected a ModelDeployment document (a mapping with apiVersion, kind, metadata and spec); found \(root.kindDescription)")
            return (nil, schema.diagnostics)
        }
        if let problem = unsupportedHeader(root) {
            schema.report(problem.location, .invalidValue, problem.field, problem.message)
            return (nil, schema.diagnostics)
        }
        schema.validate(root, as: ManifestSchema.document, path: "", owner: root.location)
        var semantics = SemanticValidator(file: path)
        semantics.check(document: root)
        let diagnostics = schema.diagnostics + semantics.diagnostics
        let nameNode = root["metadata"]?["name"]
        let name = root["metadata"]?.string("name")
        let deployment = diagnostics.isEmpty && decodesModels ? ManifestDecoder.decode(root) : nil
        let entry = ManifestFile.Entry(
            deployment: deployment, name: name, nameLocation: nameNode?.location ?? root.location, documentIndex: index,
            specDigest: deployment?.specDigest)
        return (entry, diagnostics)
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
