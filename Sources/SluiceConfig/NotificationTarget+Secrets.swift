extension NotificationTarget {
    /// The webhook URL, read from its file or variable at each use (the operator may rotate
    /// it); errors name the field, never the value.
    public func readURL(stateDirectory: String) throws -> String? {
        try url.map { try SecretReader.read($0, stateDirectory: stateDirectory, fileName: "notification-url", fields: fields("url")) }
    }

    /// The git host token, read at each use.
    public func readToken(stateDirectory: String) throws -> String? {
        try token.map { try SecretReader.read($0, stateDirectory: stateDirectory, fileName: "notification-token", fields: fields("token")) }
    }

    private func fields(_ stem: String) -> SecretReader.Fields {
        let section = "controller.notifications[\(name)]"
        return .init(env: "\(section).\(stem)Env", file: "\(section).\(stem)File", section: section)
    }
}
