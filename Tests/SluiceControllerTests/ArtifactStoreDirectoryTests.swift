import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

@testable import SluiceController

/// A directory kept in git (`artifact: models/iris/`, an MLServer model folder) written as a
/// directory for the data plane, against a real repository: the same files, the documented
/// directory digest (cross-checked with Python's hashlib), pins checked, tampering undone,
/// and links refused.
@Suite(.timeLimit(.minutes(10))) struct ArtifactStoreDirectoryTests {
    let repo: GitFixture
    let directory: URL
    let store: ArtifactStore
    static let files = [
        "models/iris/model-settings.json": #"{"name": "iris", "implementation": "mlserver_sklearn.SKLearnModel"}"# + "\n",
        "models/iris/model.joblib": String(repeating: "\u{1}binary\u{0}", count: 300),
        "models/iris/nested/conda.yaml": "dependencies: [scikit-learn]\n",
        "models/other.json": "{}\n",
    ]

    init() throws {
        repo = try GitFixture()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-artifacts-\(UUID().uuidString)")
        store = ArtifactStore(directory: directory.path)
    }

    func commit(_ files: [String: String]) throws -> (GitSource, CommitID) {
        let id = try repo.commit("artifacts", files: files)
        return (try GitSource.open(path: repo.path), CommitID(hex: id))
    }

    /// The directory digest of docs/artifacts.md as Python computes it over the working tree.
    func pythonDigest(of relative: String) async throws -> String {
        try await PythonDirectoryDigest.digest(of: repo.url.appendingPathComponent(relative).path)
    }

    @Test("a tree is written as a directory with every file, and its digest is the documented one")
    func treeBecomesADirectory() async throws {
        let (source, head) = try commit(Self.files)
        let artifact = try await store.materializeDirectory("models/iris/", digest: nil, at: head, source: source)
        for (path, text) in Self.files where path.hasPrefix("models/iris/") {
            let relative = String(path.dropFirst("models/iris/".count))
            #expect(try String(contentsOfFile: "\(artifact.path)/\(relative)", encoding: .utf8) == text)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(artifact.path)/other.json"))
        #expect(artifact.sha256 == (try await pythonDigest(of: "models/iris")))
        let mode = try FileManager.default.attributesOfItem(atPath: artifact.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        // The same tree at a later commit is the same directory.
        let (_, later) = try commit(["models/other.json": "{\"changed\": true}\n"])
        let again = try await store.materializeDirectory("models/iris/", digest: nil, at: later, source: source)
        #expect(again.path == artifact.path)
    }

    @Test("a pin is checked: the right directory digest passes, another is refused and names both")
    func pinChecked() async throws {
        let (source, head) = try commit(Self.files)
        let right = try #require(Digest.parse(try await pythonDigest(of: "models/iris")).value)
        _ = try await store.materializeDirectory("models/iris/", digest: right, at: head, source: source)
        let wrong = try #require(Digest.parse("sha256:" + String(repeating: "1", count: 64)).value)
        await #expect {
            _ = try await store.materializeDirectory("models/iris/", digest: wrong, at: head, source: source)
        } throws: { error in
            guard let error = error as? ArtifactError, error.kind == .digestMismatch else { return false }
            return error.message.contains(right.description) && error.message.contains("pins \(wrong.description)")
        }
    }

    @Test("a changed or added file in the written directory is noticed and the directory written again")
    func tamperingIsUndone() async throws {
        let (source, head) = try commit(Self.files)
        let artifact = try await store.materializeDirectory("models/iris/", digest: nil, at: head, source: source)
        try "tampered".write(toFile: "\(artifact.path)/model.joblib", atomically: false, encoding: .utf8)
        let again = try await store.materializeDirectory("models/iris/", digest: nil, at: head, source: source)
        #expect(try String(contentsOfFile: "\(again.path)/model.joblib", encoding: .utf8) == Self.files["models/iris/model.joblib"])
        try "extra".write(toFile: "\(again.path)/nested/extra.py", atomically: false, encoding: .utf8)
        let third = try await store.materializeDirectory("models/iris/", digest: nil, at: head, source: source)
        #expect(!FileManager.default.fileExists(atPath: "\(third.path)/nested/extra.py"))
        #expect(third.sha256 == again.sha256)
    }

    @Test("a symbolic link in the tree, a missing directory and a file written as a directory are refused by name")
    func refusals() async throws {
        _ = try commit(Self.files)
        try FileManager.default.createSymbolicLink(atPath: repo.url.appendingPathComponent("models/iris/passwd").path, withDestinationPath: "/etc/passwd")
        _ = try repo.git(["add", "-A"])
        _ = try repo.git(["commit", "-q", "-m", "a link"])
        let head = CommitID(hex: try repo.git(["rev-parse", "HEAD"]))
        let source = try GitSource.open(path: repo.path)
        await #expect {
            _ = try await store.materializeDirectory("models/iris/", digest: nil, at: head, source: source)
        } throws: { error in
            "\(error)".contains("'models/iris/passwd' is a symbolic link")
        }
        await #expect {
            _ = try await store.materializeDirectory("models/nowhere/", digest: nil, at: head, source: source)
        } throws: { error in
            (error as? ArtifactError)?.kind == .notInRepository && "\(error)".contains("models/nowhere/")
        }
        await #expect {
            _ = try await store.materializeDirectory("models/other.json/", digest: nil, at: head, source: source)
        } throws: { error in
            "\(error)".contains("is a file at")
        }
    }
}
