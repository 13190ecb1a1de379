import Foundation

/// Reads the MLflow bearer token from `controller.artifacts.mlflow.tokenFile`, once per
/// request, so a rotated token is used without a restart.
///
/// The file must be a regular file (not a symlink: it is opened with `O_NOFOLLOW`) readable
/// and writable by its owner only (mode 0600 or stricter), checked on the open descriptor so
/// nothing can swap it between the check and the read. The token is the first line, trimmed.
/// Errors name the file and what was expected, never its content.
struct MLflowToken: Sendable {
    /// The file's path as configured.
    let path: String

    /// The largest token file read: a token is a line, not a document.
    static let maxBytes = 64 * 1024

    /// The token now in the file.
    func read() throws -> String {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP {
                throw problem("is a symbolic link; point tokenFile at the file itself")
            }
            throw problem("cannot be opened (\(String(cString: strerror(code))))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw problem("cannot be examined") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw problem("is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw problem("has mode 0\(String(mode, radix: 8)); a token file must be readable by its owner only (chmod 600 \(path))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        guard let data = try? handle.read(upToCount: Self.maxBytes + 1) ?? Data() else { throw problem("cannot be read") }
        guard data.count <= Self.maxBytes else { throw problem("is larger than \(Self.maxBytes) bytes; it should hold one token") }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !line.isEmpty else { throw problem("holds no token (its first line is empty)") }
        // A header value cannot carry control characters; refusing them keeps the request well formed.
        guard !line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw problem("holds control characters in its first line; it should hold one token")
        }
        return line
    }

    private func problem(_ what: String) -> ArtifactFetchError {
        ArtifactFetchError(.unauthorized, "controller.artifacts.mlflow.tokenFile: \(ArtifactFetchError.printable(path)) \(what)")
    }
}
