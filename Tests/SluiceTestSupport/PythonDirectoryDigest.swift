import Foundation

/// The artifact digest of docs/artifacts.md written again in Python's hashlib, without any of
/// Sluice's code: the independent implementation the Swift digests are checked against.
public enum PythonDirectoryDigest {
    /// The script: prints `sha256:<hex>` of a file, or the directory digest of a directory.
    public static let script = """
        import hashlib, os, sys
        root = sys.argv[1]
        if os.path.isfile(root):
            print("sha256:" + hashlib.sha256(open(root, "rb").read()).hexdigest()); sys.exit(0)
        entries = []
        for directory, _, files in os.walk(root):
            for name in files:
                path = os.path.join(directory, name)
                data = open(path, "rb").read()
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                entries.append((relative.encode(), hashlib.sha256(data).hexdigest(), len(data)))
        listing = b"sluice-directory-v1\\n" + b"".join(b"%s %d %s\\n" % (h.encode(), n, p) for p, h, n in sorted(entries))
        print("sha256:" + hashlib.sha256(listing).hexdigest())
        """

    /// The digest of the file or directory at `path`, as Python computes it.
    public static func digest(of path: String) async throws -> String {
        let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, path])
        guard result.status == 0 else { throw FixtureError(message: "python3 could not digest \(path): \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
