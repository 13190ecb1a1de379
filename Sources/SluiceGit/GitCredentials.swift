internal import CLibGit2
import Foundation

/// How to authenticate to a remote. Secrets are read when needed and never stored in errors.
public enum GitCredentials: Sendable, Equatable {
    /// No credentials (local paths, file://, public remotes).
    case none
    /// An HTTPS token read from an environment variable, sent as the password.
    case tokenFromEnvironment(variable: String, username: String = "x-access-token")
    /// An HTTPS token read from a file (first line), sent as the password.
    case tokenFromFile(path: String, username: String = "x-access-token")
    /// An SSH private key file (public key derived by libgit2), optionally with a passphrase variable.
    case sshKey(privateKeyPath: String, passphraseVariable: String? = nil)
    /// The running ssh-agent.
    case sshAgent

    /// The secret values, so that error messages can be scrubbed of them.
    func secrets() -> [String] {
        switch self {
        case .tokenFromEnvironment, .tokenFromFile: return (try? token()).map { [$0] } ?? []
        case .sshKey(_, let variable?): return getenv(variable).map { [String(cString: $0)] } ?? []
        default: return []
        }
    }

    /// Where the credentials come from, for error messages (never the secret itself).
    var origin: String {
        switch self {
        case .none: "no credentials"
        case .tokenFromEnvironment(let variable, _): "the token in the environment variable \(variable)"
        case .tokenFromFile(let path, _): "the token in \(path)"
        case .sshKey(let path, _): "the SSH key \(path)"
        case .sshAgent: "the ssh-agent's keys"
        }
    }

    func token() throws(GitError) -> String {
        switch self {
        case .tokenFromEnvironment(let variable, _):
            guard let value = getenv(variable), value.pointee != 0 else {
                throw .refused("the environment variable \(variable) that should hold the git token is not set")
            }
            return String(cString: value)
        case .tokenFromFile(let path, _):
            guard let file = fopen(path, "r") else {
                throw .refused("cannot read the git token file \(path)")
            }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 4096)
            guard fgets(&buffer, Int32(buffer.count), file) != nil else {
                throw .refused("the git token file \(path) is empty")
            }
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { throw .refused("the git token file \(path) is empty") }
            return line
        default:
            return ""
        }
    }
}

/// State handed to libgit2's credential callback through its payload pointer.
final class CredentialPayload {
    let credentials: GitCredentials
    var attempts = 0
    /// A push rejection reported by the remote for a reference.
    var rejection: String?
    /// Why the configured token could not be read when the remote asked for it.
    var unreadable: GitError?

    init(_ credentials: GitCredentials) {
        self.credentials = credentials
    }

    /// Installs the callback on remote callbacks; `self` must outlive the operation.
    func install(on callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, usernameFromURL, allowedTypes, payload in
            guard let out, let payload else { return -1 }
            let state = Unmanaged<CredentialPayload>.fromOpaque(payload).takeUnretainedValue()
            state.attempts += 1
            // libgit2 asks again after a rejection; one try per operation avoids a replay loop.
            guard state.attempts <= 1 else { return GIT_EAUTH.rawValue }
            let user = usernameFromURL.map { String(cString: $0) }
            switch state.credentials {
            case .none:
                return GIT_PASSTHROUGH.rawValue
            case .tokenFromEnvironment(_, let username), .tokenFromFile(_, let username):
                guard allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
                do throws(GitError) {
                    return git_credential_userpass_plaintext_new(out, user ?? username, try state.credentials.token())
                } catch {
                    // Read at each operation, so a rotated token takes effect; a missing one is reported as such.
                    state.unreadable = error
                    return GIT_EAUTH.rawValue
                }
            case .sshKey(let path, let variable):
                guard allowedTypes & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
                let passphrase = variable.flatMap { getenv($0) }.map { String(cString: $0) }
                return git_credential_ssh_key_new(out, user ?? "git", nil, path, passphrase)
            case .sshAgent:
                guard allowedTypes & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
                return git_credential_ssh_key_from_agent(out, user ?? "git")
            }
        }
    }
}

extension CredentialPayload {
    /// What to tell the user when an operation that asked for credentials failed, nil when
    /// authentication played no part. libgit2's own message is no help here: after a refused
    /// token it reports whatever it looked up last (a config key), or "no callback set".
    func authenticationFailure(_ code: GitError.Code) -> String? {
        if let unreadable { return unreadable.message }
        guard attempts > 1 || (attempts == 1 && code == .authentication) else { return nil }
        if credentials == .none {
            return "the remote requires authentication: no credentials are configured, or those in the URL were refused"
        }
        if attempts == 1 {
            return "the remote asks for credentials that \(credentials.origin) cannot provide"
        }
        return "the remote refused \(credentials.origin) (wrong, expired, or without access to this repository)"
    }

    /// The error for a failed clone, fetch or push (`action` names it and the remote): the authentication failure when
    /// there was one, else libgit2's (already scrubbed) error; never a credential.
    func error(_ error: GitError, doing action: String) -> GitError {
        guard let problem = authenticationFailure(error.code) else {
            return GitError(code: error.code, errorClass: error.errorClass, message: "\(action): \(error.message)", function: error.function)
        }
        return GitError(code: .authentication, errorClass: error.errorClass, message: "\(action): \(problem)", function: error.function)
    }
}
