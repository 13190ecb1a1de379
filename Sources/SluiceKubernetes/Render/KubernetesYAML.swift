import SluiceCore

/// Kubernetes objects as a YAML stream (`---` between documents), for `sluice plan --render`
/// and golden files. Strings are written double-quoted (JSON escapes are valid YAML), so no
/// value can be misread as a number, boolean or null; keys that are plain words stay bare.
public enum KubernetesYAML {
    /// The objects as one YAML stream, in the given order.
    public static func stream(_ objects: [KubernetesObject]) -> String {
        objects.map { "---\n" + document($0.json) }.joined()
    }

    /// One value as a YAML block document (ends with a newline).
    public static func document(_ value: JSONValue) -> String {
        var output = ""
        write(value, indent: 0, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, indent: Int, to output: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            for (key, member) in members {
                output += pad + self.key(key) + ":"
                writeNested(member, indent: indent, to: &output)
            }
        case .array(let items) where !items.isEmpty:
            for item in items {
                output += pad + "-"
                if case .object(let members) = item, !members.isEmpty {
                    // The first member on the dash's line, the rest aligned under it.
                    var first = ""
                    write(item, indent: indent + 2, to: &first)
                    output += " " + first.dropFirst(indent + 2)
                } else {
                    writeNested(item, indent: indent, to: &output)
                }
            }
        default:
            output += pad + scalar(value) + "\n"
        }
    }

    /// A value after `key:` or `-`: scalars and empty collections inline, others below.
    private static func writeNested(_ value: JSONValue, indent: Int, to output: inout String) {
        switch value {
        case .object(let members) where !members.isEmpty:
            output += "\n"
            write(value, indent: indent + 2, to: &output)
        case .array(let items) where !items.isEmpty:
            output += "\n"
            write(value, indent: indent + 2, to: &output)
        default:
            output += " " + scalar(value) + "\n"
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .object: return "{}"
        case .array: return "[]"
        default: return value.serialized()
        }
    }

    private static func key(_ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_./".unicodeScalars.contains($0)
        } && key.first?.isLetter == true && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(key.lowercased())
        return plain ? key : JSONValue.string(key).serialized()
    }
}
