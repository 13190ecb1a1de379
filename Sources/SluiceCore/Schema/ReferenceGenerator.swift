/// Renders the manifest reference (one Markdown table row per field) from ``ManifestSchema``,
/// for docs/manifests.md and for `sluice schema --format markdown`.
public enum ReferenceGenerator {
    /// The Markdown table of the manifest format.
    public static func markdown() -> String { markdown(of: ManifestSchema.document) }

    /// The Markdown table of any document (the operator's `sluice.yaml` too). Entries of a
    /// mapping of objects (`runtimes`) are written `runtimes.<name>.command`.
    public static func markdown(of document: ObjectSchema) -> String {
        var lines = [
            "| Field | Type | Required | Default | Meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        func walk(_ object: ObjectSchema, prefix: String) {
            for field in object.fields {
                let path = prefix.isEmpty ? field.name : prefix + "." + field.name
                let cells = [
                    "`\(path)`", typeText(field.type), field.required ? "yes" : "",
                    field.defaultValue ?? "", field.description,
                ].map { $0.replacingAll("|", with: "\\|") }
                lines.append("| " + cells.joined(separator: " | ") + " |")
                switch field.type {
                case .object(let child): walk(child, prefix: path)
                case .list(.object(let child), _, _): walk(child, prefix: path + "[]")
                case .map(_, .object(let child)): walk(child, prefix: path + ".<name>")
                default: break
                }
            }
        }
        walk(document, prefix: "")
        return lines.joined(separator: "\n") + "\n"
    }

    static func typeText(_ type: SchemaType) -> String {
        switch type {
        case .string(let format?), .text(let format?): return "string (\(formatName(format)))"
        case .string(nil), .text(nil): return "string"
        case .boolean: return "boolean"
        case .enumeration(let values): return values.map { "`\($0)`" }.joined(separator: ", ")
        case .constant(let value): return "`\(value)`"
        case .integer(let minimum, let maximum):
            switch (minimum, maximum) {
            case let (low?, high?): return "integer \(low)–\(high)"
            case let (low?, nil): return "integer ≥ \(low)"
            default: return "integer"
            }
        case .number(let exclusiveMinimum, let minimum, let exclusiveMaximum):
            var bounds: [String] = []
            if let exclusiveMinimum { bounds.append("> \(JSONValue.number(exclusiveMinimum).serialized())") }
            if let minimum { bounds.append("≥ \(JSONValue.number(minimum).serialized())") }
            if let exclusiveMaximum { bounds.append("< \(JSONValue.number(exclusiveMaximum).serialized())") }
            return bounds.isEmpty ? "number" : "number " + bounds.joined(separator: " and ")
        case .list(let item, _, let unique):
            return "list of \(typeText(item))" + (unique.map { ", unique `\($0)`" } ?? "")
        case .map(let keys, let values): return "map \(keys.map(formatName) ?? "name") → \(typeText(values))"
        case .object(let object): return object.name
        }
    }

    static func formatName(_ format: StringFormat) -> String {
        switch format {
        case .dnsLabel: return "DNS-1123 label"
        case .versionName: return "version name"
        case .duration: return "duration"
        case .digest: return "digest"
        case .artifact: return "path or URI"
        case .repositoryPath: return "repository path"
        case .labelKey: return "label key"
        case .labelValue: return "label value"
        case .headerName: return "header name"
        case .featureName: return "input name"
        case .cronSchedule: return "cron schedule"
        case .timeZone: return "time zone"
        }
    }
}
