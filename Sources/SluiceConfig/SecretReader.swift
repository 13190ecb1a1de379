import Foundation

/// Reads a secret from where the config says (an environment variable, a file of mode 0600,
/// or a token generated into the state directory); the value is never logged. Used only by
/// ``ServeSecrets`` and ``ControllerSecrets``, the one place secrets are resolved.
enum SecretReader {
    /// A secret that cannot be read: the field and the reason, never the value.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The config fields a secret comes from, named in errors.
    struct Fields {
        /// The field naming an environment variable (`serve.admin.tokenEnv`).
        var env: String
        /// The field naming a file (`serve.admin.tokenFile`).
        var file: String
        /// The section, for a generated token (`serve.admin`).
        var section: String

        /// `tokenEnv` and `tokenFile` of `section`.
        init(section: String) {
            self.init(env: "\(section).tokenEnv", file: "\(section).tokenFile", section: section)
        }

        init(env: String, file: String, section: String) {
            self.env = env
            self.file = file
            self.section = section
        }
    }

    /// The secret from `source`; `fields` are named in errors, and a generated token lives
    /// in `stateDirectory/fileName`.
    static func read(_ source: ServeConfig.TokenSource, stateDirectory: String, fileName: String, fields: Fields) throws -> String {
        switch source {
        case .environment(let name):
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw Problem(description: "\(fields.env): the environment variable \(name) is not set or empty")
            }
            return value
        case .file(let path):
            try PrivateFiles.requireOwnerOnly(path, field: fields.file)
            guard let data = FileManager.default.contents(atPath: path),
                  let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first,
                  !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw Problem(description: "\(fields.file): cannot read a token from \(path)")
            }
            return line.trimmingCharacters(in: .whitespaces)
        case .generated:
            let path = "\(stateDirectory)/\(fileName)"
            try PrivateFiles.requireOwnerOnly(path, field: "\(fields.section) (generated token)")
            if let data = FileManager.default.contents(atPath: path) {
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !token.isEmpty { return token }
            }
            var generator = SystemRandomNumberGenerator()
            let token = (0..<4).map { _ in String(generator.next(), radix: 16) }.joined()
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw Problem(description: "\(fields.section): cannot write the generated token to \(path)")
            }
            _ = Array((token + "\n").utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            return token
        }
    }
}
