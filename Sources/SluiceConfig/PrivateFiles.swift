import Foundation

/// State directories and the secrets in them are the operator's alone: directories 0700,
/// files 0600, and a secret file that others could read is refused rather than used.
package enum PrivateFiles {
    /// A file or directory that is open to others.
    package struct Problem: Error, CustomStringConvertible {
        package var description: String
    }

    /// Creates `path` (and its parents) if missing and makes it 0700: a state directory is
    /// Sluice's own, so an earlier release's 0755 is tightened rather than refused.
    package static func directory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }

    /// Throws unless the file at `path` (followed through links, as it will be read) is
    /// readable and writable by its owner only. `field` names the config field in the error.
    package static func requireOwnerOnly(_ path: String, field: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // a missing file is the reader's error
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw Problem(description: """
                \(field): \(path) has mode \(String(mode, radix: 8, uppercase: false).leftPadded(to: 4)); a secret must be \
                readable by its owner only (chmod 600 \(path), or defaultMode: 0400 for a Kubernetes Secret volume)
                """)
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
