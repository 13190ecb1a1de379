import Foundation

/// Expands the paths given on the command line into manifest files.
struct ManifestFinder {
    /// A path that could not be used.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Files named directly are taken whatever their extension; directories are searched
    /// recursively for `*.yaml` and `*.yml`, skipping hidden directories such as `.git`.
    static func files(in paths: [String]) throws(Failure) -> [String] {
        let manager = FileManager.default
        var found: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw Failure(description: "\(path): no such file or directory")
            }
            guard isDirectory.boolValue else {
                found.append(path)
                continue
            }
            guard let enumerator = manager.enumerator(
                at: URL(fileURLWithPath: path), includingPropertiesForKeys: [.isRegularFileKey],
                options: [.skipsHiddenFiles])
            else { throw Failure(description: "\(path): cannot list the directory") }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            let baseComponents = URL(fileURLWithPath: path).standardizedFileURL.pathComponents.count
            for case let url as URL in enumerator {
                let name = url.lastPathComponent
                guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                // Keep the user's spelling of the directory so that reported paths match theirs.
                let relative = url.standardizedFileURL.pathComponents.dropFirst(baseComponents).joined(separator: "/")
                found.append(base == "." ? relative : base + "/" + relative)
            }
        }
        return Array(Set(found)).sorted()
    }
}
