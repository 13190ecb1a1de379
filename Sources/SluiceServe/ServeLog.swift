import Foundation

/// One-line, timestamped log records on standard error. Nothing secret is ever passed
/// here: tokens are read once and only compared.
struct ServeLog: Sendable {
    /// Records below this are dropped (`quiet` keeps errors only).
    var quiet = false

    func info(_ message: @autoclosure () -> String) {
        guard !quiet else { return }
        write("info", message())
    }

    func error(_ message: @autoclosure () -> String) {
        write("error", message())
    }

    private func write(_ level: String, _ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(stamp) serve \(level): \(message)\n".utf8))
    }
}
