#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Expands the paths given on the command line into manifest files, each with the root it
/// must stay inside (see ``ManifestSource``).
struct ManifestFinder {
    /// A path that could not be used.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A file to validate and the directory it was found under.
    struct Found: Hashable {
        /// The path as reported (`manifests/a.yaml`).
        var path: String
        /// The directory scanned for it: a directory argument, or for a file named directly
        /// the current directory (or, for an absolute path or one with `..`, the file's own
        /// directory as written).
        var root: String
    }

    /// Files named directly are taken whatever their extension; directories are searched
    /// recursively for `*.yaml` and `*.yml`, skipping hidden entries such as `.git`.
    /// Reported paths keep the user's spelling of the directory (`manifests/a.yaml`).
    static func files(in paths: [String]) throws(Failure) -> [Found] {
        var found: [String: String] = [:]
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw Failure(description: "\(path): \(String(cString: strerror(errno)))")
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                found[path] = found[path] ?? rootOfNamedFile(path)
                continue
            }
            var base = path
            while base.count > 1, base.hasSuffix("/") { base.removeLast() }
            var inDirectory: [String] = []
            try walk(directory: base, prefix: base == "." ? "" : base + "/", into: &inDirectory)
            for file in inDirectory { found[file] = found[file] ?? base }
        }
        return found.map { Found(path: $0.key, root: $0.value) }.sorted { $0.path < $1.path }
    }

    /// The root a file named directly must stay inside: the current directory for a path
    /// inside it, else the directory the path names.
    static func rootOfNamedFile(_ path: String) -> String {
        let segments = path.split(separator: "/")
        if !path.hasPrefix("/") && !segments.contains("..") { return "." }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Reads directories with readdir and its entry types, so a tree of thousands of files costs
    /// one system call per directory entry rather than a stat per file (a stat only where the
    /// file system does not report the type). Symbolic links to files are listed (reading
    /// them checks where they lead); links to directories are not followed, so a link cycle
    /// cannot loop.
    private static func walk(directory: String, prefix: String, into found: inout [String]) throws(Failure) {
        guard let handle = opendir(directory) else {
            throw Failure(description: "\(directory): \(String(cString: strerror(errno)))")
        }
        defer { closedir(handle) }
        var subdirectories: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(".") { continue }
            let full = prefix.isEmpty ? name : prefix + name
            let type = entry.pointee.d_type
            var isDirectory = type == UInt8(DT_DIR)
            var isFile = type == UInt8(DT_REG)
            if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) {
                var info = stat()
                guard stat(directory + "/" + name, &info) == 0 else { continue }
                isDirectory = info.st_mode & S_IFMT == S_IFDIR && type == UInt8(DT_UNKNOWN)
                isFile = info.st_mode & S_IFMT == S_IFREG
            }
            if isDirectory {
                subdirectories.append(name)
            } else if isFile, name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                found.append(full)
            }
        }
        for name in subdirectories {
            try walk(directory: directory + "/" + name, prefix: (prefix.isEmpty ? "" : prefix) + name + "/", into: &found)
        }
    }
}
