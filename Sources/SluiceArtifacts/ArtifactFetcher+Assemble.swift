import SluiceConfig
import SluiceCore

extension ArtifactFetcher {
    /// Turns complete downloads into a cache entry: a file as is, several files as a
    /// directory, an archive unpacked. The pin is checked first; on a mismatch every byte
    /// is deleted and nothing is cached.
    func assemble(_ resolved: ResolvedArtifact, _ downloaded: [Downloaded], name: String, digest: SluiceCore.Digest?) async throws -> MaterializedArtifact {
        if let format = resolved.archive, let archive = downloaded.first {
            return try await unpacked(archive, format: format, name: name, digest: digest)
        }
        if !resolved.isDirectory, let only = downloaded.first {
            let result = only.result
            let actual: SluiceCore.Digest? = digest?.algorithm == .sha512 ? result.sha512.map { SluiceCore.Digest.computed(.sha512, $0) } : sha256(result.sha256)
            if let digest, actual != digest {
                CacheFiles.remove(only.partial)
                throw mismatch(name, expected: digest, actual: actual)
            }
            let signature = try ArtifactCache.signature(of: only.partial)
            return try await insert(only.partial, sha256: result.sha256, sha512: result.sha512, isDirectory: false, bytes: result.size, signature: signature)
        }
        let staging = cache.stagingPath()
        do {
            try CacheFiles.makeDirectory(staging)
            var entries: [DirectoryDigest.Entry] = []
            var total: Int64 = 0
            for item in downloaded {
                let target = "\(staging)/\(item.file.path)"
                let parent = String(target[..<target.lastIndex(of: "/")!])
                try CacheFiles.makeDirectory(parent)
                guard try CacheFiles.move(item.partial, to: target) else {
                    throw ArtifactFetchError(.badResponse, "artifact \(name): '\(ArtifactFetchError.printable(item.file.path))' is listed as a file and as a directory")
                }
                entries.append(DirectoryDigest.Entry(path: item.file.path, size: item.result.size, sha256: item.result.sha256))
                total += item.result.size
            }
            let actual = DirectoryDigest.digest(entries)
            try check(actual, against: digest, name: name)
            try await CacheFiles.offload { try Self.syncTree(staging) }
            let signature = try await CacheFiles.offload { try ArtifactCache.signature(of: staging) }
            return try await insert(staging, sha256: actual.hex, sha512: nil, isDirectory: true, bytes: total, signature: signature)
        } catch {
            CacheFiles.remove(staging)
            for item in downloaded { CacheFiles.remove(item.partial) }
            throw error
        }
    }

    /// An archive unpacked into a directory whose ``DirectoryDigest`` is checked.
    private func unpacked(_ archive: Downloaded, format: ArchiveFormat, name: String, digest: SluiceCore.Digest?) async throws -> MaterializedArtifact {
        let staging = cache.stagingPath()
        do {
            try await unpack.run(archive.partial, format, staging, config.maxArtifactBytes, name)
            let (actual, total) = try await CacheFiles.offload { try CacheFiles.directoryDigest(of: staging) }
            if total > config.maxArtifactBytes {
                throw ArtifactFetchError(.tooLarge, "artifact \(name) unpacks to \(total) bytes, more than controller.artifacts.maxArtifactBytes (\(config.maxArtifactBytes))")
            }
            try check(actual, against: digest, name: name)
            try await CacheFiles.offload { try Self.syncTree(staging) }
            let signature = try await CacheFiles.offload { try ArtifactCache.signature(of: staging) }
            let found = try await insert(staging, sha256: actual.hex, sha512: nil, isDirectory: true, bytes: total, signature: signature)
            CacheFiles.remove(archive.partial)
            return found
        } catch {
            CacheFiles.remove(staging)
            CacheFiles.remove(archive.partial)
            throw error
        }
    }

    private func insert(_ staged: String, sha256 hex: String, sha512: String?, isDirectory: Bool, bytes: Int64, signature: String) async throws -> MaterializedArtifact {
        let found = try await cache.insert(staged: staged, sha256: hex, sha512: sha512, isDirectory: isDirectory, bytes: bytes, signature: signature)
        // The lease only had to outlive the eviction that followed the insert.
        await cache.release(hex)
        return found
    }

    private func check(_ actual: SluiceCore.Digest, against digest: SluiceCore.Digest?, name: String) throws {
        guard let digest, digest != actual else { return }
        throw mismatch(name, expected: digest, actual: digest.algorithm == .sha256 ? actual : nil)
    }

    private func mismatch(_ name: String, expected: SluiceCore.Digest, actual: SluiceCore.Digest?) -> ArtifactFetchError {
        let found = actual.map { "it has \($0)" } ?? "a directory's digest is sha256 (DirectoryDigest), and it has none in \(expected.algorithm.rawValue)"
        return ArtifactFetchError(.digestMismatch, "artifact \(name) does not match its digest: expected \(expected), but \(found); it was deleted and not used")
    }

    private func sha256(_ hex: String) -> SluiceCore.Digest { SluiceCore.Digest.computed(.sha256, hex) }

    /// fsyncs every file and directory of a tree assembled from moved partial files.
    static func syncTree(_ root: String) throws {
        var directories: Set<String> = [root]
        for file in try CacheFiles.regularFiles(under: root) {
            try CacheFiles.syncFile("\(root)/\(file.path)")
            var path = Substring(file.path)
            while let slash = path.lastIndex(of: "/") {
                path = path[..<slash]
                directories.insert("\(root)/\(path)")
            }
        }
        for directory in directories { try CacheFiles.syncDirectory(directory) }
    }
}
