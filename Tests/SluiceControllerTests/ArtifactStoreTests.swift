import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

@testable import SluiceController

/// The artifact cache against a real git repository: files named by content, digests
/// checked, a file changed on disk never reused.
@Suite(.timeLimit(.minutes(10))) struct ArtifactStoreTests {
    let repo: GitFixture
    let directory: URL
    let store: ArtifactStore
    static let model = #"{"type": "logistic_regression", "weights": [0.5, -0.25]}"# + "\n"

    init() throws {
        repo = try GitFixture()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-artifacts-\(UUID().uuidString)")
        store = ArtifactStore(directory: directory.path)
    }

    func commit(_ files: [String: String]) throws -> (GitSource, CommitID) {
        let id = try repo.commit("artifacts", files: files)
        let source = try GitSource.open(path: repo.path)
        return (source, CommitID(hex: id))
    }

    static func hex(_ tool: String, _ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sum-\(UUID().uuidString)")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix { $0 != " " })
    }

    @Test func aHostileNameNeverReachesThePath() async throws {
        let (source, head) = try commit(["models/b$(touch PWNED).json": Self.model])
        let artifact = try await store.materialize("models/b$(touch PWNED).json", digest: nil, at: head, source: source)
        let blob = try repo.git(["rev-parse", "HEAD:models/b$(touch PWNED).json"])
        #expect(artifact.path == "\(directory.path)/\(blob).json")
        #expect(try String(contentsOfFile: artifact.path, encoding: .utf8) == Self.model)
        #expect(ArtifactStore.sanitizedExtension(of: "m/model.tar.gz") == ".tar.gz")
        #expect(ArtifactStore.sanitizedExtension(of: "m/x.j$on") == "")
        #expect(ArtifactStore.sanitizedExtension(of: "m/noextension") == "")
        let mode = try FileManager.default.attributesOfItem(atPath: artifact.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func anAllZeroDigestIsRefusedAndTheRightOnesPass() async throws {
        let (source, head) = try commit(["models/m.json": Self.model])
        let zero = try #require(Digest.parse("sha256:" + String(repeating: "0", count: 64)).value)
        await #expect {
            _ = try await store.materialize("models/m.json", digest: zero, at: head, source: source)
        } throws: { error in
            guard let error = error as? ArtifactError, error.kind == .digestMismatch else { return false }
            return error.message.contains("but its digest pins \(zero)")
        }
        let sha256 = try #require(Digest.parse("sha256:" + Self.hex("sha256sum", Self.model)).value)
        let sha512 = try #require(Digest.parse("sha512:" + Self.hex("sha512sum", Self.model)).value)
        let first = try await store.materialize("models/m.json", digest: sha256, at: head, source: source)
        #expect(first.sha256 == sha256.description)
        // Reused from the cache, the sha512 is computed from the file.
        let second = try await store.materialize("models/m.json", digest: sha512, at: head, source: source)
        #expect(second.path == first.path)
        let wrong512 = try #require(Digest.parse("sha512:" + String(repeating: "0", count: 128)).value)
        await #expect(throws: ArtifactError.self) {
            _ = try await store.materialize("models/m.json", digest: wrong512, at: head, source: source)
        }
    }

    @Test func aTamperedCacheFileIsWrittenAgain() async throws {
        let (source, head) = try commit(["models/m.json": Self.model])
        let sha256 = try #require(Digest.parse("sha256:" + Self.hex("sha256sum", Self.model)).value)
        let artifact = try await store.materialize("models/m.json", digest: sha256, at: head, source: source)
        let tampered = #"{"type": "logistic_regression", "weights": [9, 9]}"# + "\n"
        try Data(tampered.utf8).write(to: URL(fileURLWithPath: artifact.path))
        let again = try await store.materialize("models/m.json", digest: sha256, at: head, source: source)
        #expect(again.path == artifact.path)
        #expect(try String(contentsOfFile: again.path, encoding: .utf8) == Self.model)
        // Tampered again, but with no pin: still not reused.
        try Data(tampered.utf8).write(to: URL(fileURLWithPath: artifact.path))
        _ = try await store.materialize("models/m.json", digest: nil, at: head, source: source)
        #expect(try String(contentsOfFile: artifact.path, encoding: .utf8) == Self.model)
    }

    @Test func aSymbolicLinkInGitIsRefusedNotFollowed() async throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-secret-\(UUID().uuidString)")
        try Data("hunter2-secret\n".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        try FileManager.default.createDirectory(at: repo.url.appendingPathComponent("models"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo.url.appendingPathComponent("models/link.json").path, withDestinationPath: secret.path)
        let (source, head) = try commit([:])
        await #expect {
            _ = try await store.materialize("models/link.json", digest: nil, at: head, source: source)
        } throws: { error in
            "\(error)".contains("is a symbolic link") && !"\(error)".contains("hunter2")
        }
        let written = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        #expect(written.isEmpty)
    }
}
