import SluiceCore

extension StatusTable {
    /// `  waiting (ChangeWindow) until 2026-12-07T09:00:00Z: deny window spec.windows[0] (…) is open`
    /// under a model whose change a window holds; nil when nothing holds it (or the
    /// controller is older than windows).
    static func waitLine(_ model: JSONValue) -> String? {
        guard let wait = model["wait"], case .string(let reason)? = wait["reason"] else { return nil }
        var line = "  waiting (\(reason))"
        if case .string(let until)? = wait["untilTime"] { line += " until \(until)" }
        if case .string(let message)? = wait["message"] { line += ": \(message)" }
        if case .string(let actor)? = model["windowOverride"]?["actor"] { line += "; overridden by \(actor)" }
        return line
    }
}
