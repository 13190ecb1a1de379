internal import CLibGit2
import Foundation

extension GitSource {
    /// The directories whose entries change when a local repository's refs move: the git
    /// directory (HEAD, packed-refs), the common directory of a linked worktree, and
    /// `refs/heads` with its subdirectories (branch names with slashes), at most 256 of them.
    /// Git updates a ref by renaming `<ref>.lock` over it, so a watch on these sees every
    /// commit, reset, merge and revert of a branch; nil for a remote's cache clone.
    public func refDirectories() -> [String]? {
        guard remoteURL == nil, let gitPointer = git_repository_path(repository.pointer) else { return nil }
        let gitDirectory = String(cString: gitPointer)
        let common = git_repository_commondir(repository.pointer).map { String(cString: $0) } ?? gitDirectory
        var directories = [gitDirectory]
        if common != gitDirectory { directories.append(common) }
        var pending = [(common.hasSuffix("/") ? common : common + "/") + "refs/heads"]
        while let directory = pending.popLast(), directories.count < 256 {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            directories.append(directory)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                var child: ObjCBool = false
                let path = directory + "/" + name
                if FileManager.default.fileExists(atPath: path, isDirectory: &child), child.boolValue { pending.append(path) }
            }
        }
        return directories
    }
}
