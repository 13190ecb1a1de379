import Foundation

/// An AWS access key pair (and session token, for temporary credentials). Its description
/// and debug description show the access key id only: the secret and the token never reach
/// a log, an error or a status, however the value is printed.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key id (`AKIA…`, `ASIA…`): not a secret, it names the key in messages.
    public var accessKeyId: String
    /// The secret access key: only ``SigV4Signer`` reads it.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `x-amz-security-token`.
    public var sessionToken: String?
    /// Where the credentials came from ("environment", "profile default in /root/.aws/credentials").
    public var origin: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, origin: String = "given") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.origin = origin
    }

    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: REDACTED\(sessionToken == nil ? "" : ", sessionToken: REDACTED"), from: \(origin))"
    }

    public var debugDescription: String { description }

    /// The credentials the AWS SDKs would use: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
    /// and `AWS_SESSION_TOKEN` from `environment`, else `profile` (nil: `AWS_PROFILE`, then
    /// `default`) of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
    /// `$HOME/.aws/credentials`). Throws `.unauthorized` saying where it looked.
    public static func resolve(environment: [String: String], profile: String?) throws -> AWSCredentials {
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
           let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        {
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, origin: "environment")
        }
        let name = profileName(environment: environment, profile: profile)
        guard let file = sharedFile(environment: environment, variable: "AWS_SHARED_CREDENTIALS_FILE", name: "credentials") else {
            throw ArtifactFetchError(.unauthorized, "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set and there is no HOME for ~/.aws/credentials")
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ArtifactFetchError(.unauthorized, "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set and \(file) cannot be read")
        }
        let sections = AWSSharedFile.sections(text)
        guard let values = sections[name] else {
            throw ArtifactFetchError(.unauthorized, "no AWS credentials: \(file) has no profile '\(ArtifactFetchError.printable(name))'")
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty, let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            throw ArtifactFetchError(.unauthorized, "no AWS credentials: profile '\(ArtifactFetchError.printable(name))' in \(file) needs aws_access_key_id and aws_secret_access_key")
        }
        let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, origin: "profile \(name) in \(file)")
    }

    /// `region` of `profile` in the shared config file (`AWS_CONFIG_FILE`, else `$HOME/.aws/config`).
    static func profileRegion(environment: [String: String], profile: String?) -> String? {
        let name = profileName(environment: environment, profile: profile)
        guard let file = sharedFile(environment: environment, variable: "AWS_CONFIG_FILE", name: "config"),
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let sections = AWSSharedFile.sections(text)
        // The config file names profiles "[profile NAME]", except "[default]".
        let region = (sections["profile \(name)"] ?? sections[name])?["region"]
        return region.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func profileName(environment: [String: String], profile: String?) -> String {
        profile ?? environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    }

    private static func sharedFile(environment: [String: String], variable: String, name: String) -> String? {
        if let file = environment[variable], !file.isEmpty { return file }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return "\(home)/.aws/\(name)"
    }
}

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`.
enum AWSSharedFile {
    /// Section name → key → value. Comments (`#`, `;`) and blank lines are skipped; keys are
    /// lowercased; a nested block (an indented line under `key =`) is ignored.
    static func sections(_ text: String) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if raw.first == " " || raw.first == "\t" { continue }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                if result[name] == nil { result[name] = [:] }
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            result[section]?[key] = value
        }
        return result
    }
}
