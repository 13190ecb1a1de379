import Foundation

/// Runs a short-lived tool (promtool, openssl) and waits for it without holding a thread:
/// tests share a cooperative pool of as many threads as cores (two here), and a blocking
/// wait starves every server and load generator of the other tests meanwhile.
public enum ChildProcess {
    /// What a run ended with.
    public struct Result: Sendable {
        public var status: Int32
        /// stdout and stderr, interleaved.
        public var output: String
    }

    /// Runs `executable` with `arguments` in `directory`, its stdin from `input` (nil: none),
    /// its output to a file (so a full pipe can never block it), and waits for its exit.
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil, input: URL? = nil) async throws -> Result {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = try FileHandle(forReadingFrom: input ?? URL(fileURLWithPath: "/dev/null"))
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { ended in continuation.resume(returning: ended.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Result(status: status, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
