import Foundation

/// Reads the admin bearer token from where the config says; the value is never logged.
package enum AdminToken {
    /// A token that cannot be read.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The token from `source`; `field` names the config section in errors
    /// (`serve.admin`), and a generated token lives in `stateDirectory/fileName`.
    package static func resolve(_ source: ServeConfig.TokenSource, stateDirectory: String, fileName: String = "admin-token", field: String = "serve.admin") throws -> String {
        switch source {
        case .environment(let name):
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw Problem(description: "\(field).tokenEnv: the environment variable \(name) is not set or empty")
            }
            return value
        case .file(let path):
            try PrivateFiles.requireOwnerOnly(path, field: "\(field).tokenFile")
            guard let data = FileManager.default.contents(atPath: path),
                  let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first,
                  !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw Problem(description: "\(field).tokenFile: cannot read a token from \(path)")
            }
            return line.trimmingCharacters(in: .whitespaces)
        case .generated:
            let path = "\(stateDirectory)/\(fileName)"
            try PrivateFiles.requireOwnerOnly(path, field: "\(field) (generated token)")
            if let data = FileManager.default.contents(atPath: path) {
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !token.isEmpty { return token }
            }
            var generator = SystemRandomNumberGenerator()
            let token = (0..<4).map { _ in String(generator.next(), radix: 16) }.joined()
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw Problem(description: "cannot write the generated token to \(path)")
            }
            _ = Array((token + "\n").utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            return token
        }
    }
}
