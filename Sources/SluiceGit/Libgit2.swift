internal import CLibGit2
import Foundation

/// The one place that talks to libgit2's global state and turns its return codes into errors.
enum Libgit2 {
    /// Initialises libgit2 once per process; never shut down while running (DESIGN: a daemon).
    private static let initialized: Int32 = git_libgit2_init()

    /// Touched by every entry point before any other libgit2 call.
    static func ensureInitialized() {
        _ = initialized
    }

    /// Converts a libgit2 call's negative result into a ``GitError`` at once: libgit2's last
    /// error is per thread, so it must be read right after the call, before any `await`.
    @discardableResult
    static func check(_ function: String, _ result: Int32, secrets: [String] = []) throws(GitError) -> Int32 {
        guard result < 0 else { return result }
        throw lastError(result, function: function, secrets: secrets)
    }

    /// The error for a failed call, from libgit2's thread-local last error.
    static func lastError(_ result: Int32, function: String, secrets: [String] = []) -> GitError {
        var message = "libgit2 failed"
        var errorClass: Int32 = 0
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let text = last.pointee.message { message = String(cString: text) }
        }
        return GitError(
            code: GitError.Code(rawValue: result), errorClass: errorClass,
            message: Redaction.scrub(message, secrets: secrets), function: function)
    }
}

/// Removes credentials from text that may reach logs or users.
public enum Redaction {
    /// Replaces every secret, and any `user:password@` in URLs, with `***`.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.split(separator: secret, omittingEmptySubsequences: false).joined(separator: "***")
        }
        return redactURLs(result)
    }

    /// `https://user:token@host/x` → `https://***@host/x`.
    public static func redactURLs(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            output += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "'" || $0 == "\"" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                output += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return output + rest
    }
}
