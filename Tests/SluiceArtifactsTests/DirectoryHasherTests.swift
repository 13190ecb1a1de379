import SluiceFileDigest
import Foundation
import SluiceArtifacts
import SluiceCore
import SluiceTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// DirectoryHasher against an independent implementation of the definition in Python's
/// hashlib, over real temporary directories; and its refusals.
@Suite("directory hasher: local digests", .timeLimit(.minutes(10)))
struct DirectoryHasherTests {
    /// A temporary directory with nested files, an empty file, an empty directory, a name
    /// outside ASCII and one file larger than a read chunk.
    static func makeTree() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hasher-\(UUID().uuidString)")
        let files: [String: Data] = [
            "MLmodel": Data("artifact_path: model\nflavors: {}\n".utf8),
            "model.pkl": Data((0..<(DirectoryHasher.chunkSize * 2 + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
            "sub/dir/empty.txt": Data(),
            "sub/B.txt": Data("upper".utf8),
            "sub/a.txt": Data("lower".utf8),
            "caf\u{E9}/x.json": Data("{}".utf8),
            ".hidden": Data("dot".utf8),
        ]
        for (path, data) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty/dir"), withIntermediateDirectories: true)
        return root
    }

    @Test func directoryDigestMatchesPython() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let ours = try DirectoryHasher.digest(ofPath: root.path)
        #expect(ours.isDirectory)
        let entries = try DirectoryHasher.entries(ofDirectory: root.path)
        #expect(entries.count == 7)
        #expect(ours.bytes == entries.reduce(0) { $0 + $1.size })
        #expect(entries.first { $0.path == "model.pkl" }?.size == Int64(DirectoryHasher.chunkSize * 2 + 12_345))
        #expect(entries.contains { $0.path == "caf\u{E9}/x.json" } && entries.contains { $0.path == "sub/dir/empty.txt" && $0.size == 0 })
        #expect(ours.digest.description == (try await PythonDirectoryDigest.digest(of: root.path)))
    }

    @Test func fileDigestMatchesPythonAcrossChunks() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("model.pkl").path
        let ours = try DirectoryHasher.fileDigest(atPath: file)
        #expect(ours.size == Int64(DirectoryHasher.chunkSize * 2 + 12_345))
        #expect(ours.digest.description == (try await PythonDirectoryDigest.digest(of: file)))
        #expect(try DirectoryHasher.digest(ofPath: file).digest == ours.digest)
        #expect(!(try DirectoryHasher.digest(ofPath: file).isDirectory))
        let sha512 = try DirectoryHasher.fileDigest(atPath: file, algorithm: .sha512)
        #expect(sha512.digest.algorithm == .sha512 && sha512.digest.hex.count == 128)
    }

    @Test func symbolicLinksInsideAreRefused() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("sub/link").path, withDestinationPath: "/etc/passwd")
        #expect {
            try DirectoryHasher.digest(ofPath: root.path)
        } throws: { error in
            guard let error = error as? DirectoryHasher.Problem else { return false }
            return error.kind == .unsafePath && error.message.contains("'sub/link' is a symbolic link")
        }
    }

    @Test func linkedDirectoriesAndFIFOsAreRefused() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop").path, withDestinationPath: root.path)
        #expect(throws: DirectoryHasher.Problem.self) { try DirectoryHasher.digest(ofPath: root.path) }
        try FileManager.default.removeItem(atPath: root.appendingPathComponent("loop").path)
        #expect(mkfifo(root.appendingPathComponent("pipe").path, 0o600) == 0)
        #expect {
            try DirectoryHasher.digest(ofPath: root.path)
        } throws: { error in
            (error as? DirectoryHasher.Problem)?.message.contains("'pipe' is a FIFO") == true
        }
    }

    @Test func missingPathsAreNotFound() {
        #expect {
            try DirectoryHasher.digest(ofPath: "/nonexistent/sluice/\(UUID().uuidString)")
        } throws: { error in
            (error as? DirectoryHasher.Problem)?.kind == .notFound
        }
    }
}
