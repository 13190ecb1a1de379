import Foundation
import SluiceTestSupport

/// Runs the real `sluice` executable built beside the tests.
enum SluiceBinary {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable: `SLUICE_BINARY` if set, else the one in the test bundle's build
    /// directory. Printed once with its modification time, so a log shows when a run
    /// tested a stale binary.
    static let url: URL = {
        let (binary, source) = locate()
        let modified = (try? FileManager.default.attributesOfItem(atPath: binary.path)[.modificationDate] as? Date)
            .map { ISO8601DateFormatter().string(from: $0) }
        print("sluice tests: running \(binary.path) (\(source); modified \(modified ?? "never: it does not exist"))")
        return binary
    }()

    private static func locate() -> (URL, String) {
        if let explicit = ProcessInfo.processInfo.environment["SLUICE_BINARY"] {
            return (URL(fileURLWithPath: explicit), "from SLUICE_BINARY")
        }
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for directory in candidates {
            var current = directory
            for _ in 0..<4 {
                let binary = current.appendingPathComponent("sluice")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    return (binary, "beside the tests")
                }
                current = current.deletingLastPathComponent()
            }
        }
        return (packageRoot.appendingPathComponent(".build/debug/sluice"), "the default path")
    }

    /// This process's environment as it is now (tests set variables for the commands) with
    /// XDG_CACHE_HOME in a directory of this test process, so that caches the commands keep
    /// (the manifest index, remote clones) never land in the home directory of whoever runs
    /// the tests.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cacheHome
        return environment
    }

    private static let cacheHome = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tests-cache-\(getpid())").path

    /// What a run printed and how it ended.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `sluice` with `arguments` in `directory` and waits for it. Output goes to
    /// temporary files, so a large report can never block on a full pipe.
    static func run(_ arguments: [String], in directory: URL? = nil) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let process = SpawnedProcess()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let exited = await ProcessWait.exitOrKill(process, within: .seconds(600))
        try out.close()
        try err.close()
        guard exited else { throw HarnessError("sluice \(arguments.joined(separator: " ")) did not exit within 600 s; killed") }
        return Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}

/// A temporary directory of manifest files, removed when the test ends.
final class ManifestTree {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` at the relative `path`, creating directories.
    @discardableResult
    func write(_ path: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }
}
