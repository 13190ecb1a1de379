import Foundation

/// A real git repository in a temporary directory, driven with the git command line so that
/// the code under test (libgit2) reads what git itself wrote.
public final class GitFixture {
    /// The repository's directory.
    public let url: URL
    /// The repository's path.
    public var path: String { url.path }

    /// Creates an empty repository (bare for a "server").
    public init(bare: Bool = false, branch: String = "main") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try git(bare ? ["init", "-q", "--bare", "-b", branch] : ["init", "-q", "-b", branch])
    }

    /// Adopts an existing repository (unpacked from a fixture); it is removed with the fixture.
    public init(existing url: URL) {
        self.url = url
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Runs git in the repository; returns its standard output, trimmed.
    @discardableResult
    public func git(_ arguments: [String]) throws -> String {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"] + arguments
        process.currentDirectoryURL = url
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(message: "git \(arguments.joined(separator: " ")): \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs git in the repository without holding a thread while it runs (for polling loops
    /// in async tests); returns its output (stdout and stderr), trimmed.
    public func gitAsync(_ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"] + arguments, in: url)
        guard result.status == 0 else {
            throw FixtureError(message: "git \(arguments.joined(separator: " ")): \(result.output)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a file (creating directories).
    public func write(_ relative: String, _ text: String) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }

    /// Writes the files, stages everything and commits; returns the new commit id.
    @discardableResult
    public func commit(_ message: String, files: [String: String] = [:], remove: [String] = []) throws -> String {
        for (path, text) in files { try write(path, text) }
        for path in remove { try git(["rm", "-q", path]) }
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
        return try git(["rev-parse", "HEAD"])
    }

    /// Reads a file of the working tree.
    public func read(_ relative: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(relative), encoding: .utf8)
    }
}

/// A fixture that could not be set up.
public struct FixtureError: Error, CustomStringConvertible {
    /// What failed.
    public let message: String
    /// Creates an error.
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// A valid manifest for a model with the given versions and traffic.
public func manifest(_ name: String, versions: [String] = ["v1"], traffic: [String: Int]? = nil, runtime: String = "python-v2") -> String {
    var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: \(name)\nspec:\n  runtime: \(runtime)\n  versions:\n"
    for version in versions {
        text += "    - name: \(version)\n      artifact: models/\(name)/\(version).json\n"
    }
    let split = traffic ?? [versions.last!: 100]
    text += "  traffic: {" + split.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
    return text
}
