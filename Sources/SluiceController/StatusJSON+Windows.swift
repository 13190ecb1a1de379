import SluiceCore

extension StatusJSON {
    /// `"wait": {"reason": "ChangeWindow", "until": 1796634000, "untilTime": "2026-12-07T09:00:00Z",
    /// "message": "…"}` while a change window holds the model, and `"windowOverride": {"actor":
    /// …, "at": …, "until": …}` while a person's override lets its change through.
    static func windowMembers(_ state: RolloutState) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if let wait = state.wait {
            var fields: [(String, JSONValue)] = [("reason", .string(wait.reason.rawValue))]
            if let until = wait.until { fields += [("until", .number(until)), ("untilTime", .string(Timestamp.iso8601(until)))] }
            fields.append(("message", .string(wait.message)))
            members.append(("wait", .object(fields)))
        }
        if let override = state.windowOverride {
            var fields: [(String, JSONValue)] = [("actor", .string(override.actor)), ("at", .number(override.at))]
            if let until = override.until { fields += [("until", .number(until)), ("untilTime", .string(Timestamp.iso8601(until)))] }
            members.append(("windowOverride", .object(fields)))
        }
        return members
    }
}
