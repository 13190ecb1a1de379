import Logging
import NIOConcurrencyHelpers

/// A log handler that keeps each message, so a test can read what the controller logged.
struct CapturedLog: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLockedValue { $0.append("\(event.message)") }
    }

    /// A logger whose messages are appended to `lines`.
    static func logger(into lines: NIOLockedValueBox<[String]>) -> Logger {
        Logger(label: "test") { _ in CapturedLog(lines: lines) }
    }
}
