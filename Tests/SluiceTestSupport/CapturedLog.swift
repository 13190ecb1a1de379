import Logging
import NIOConcurrencyHelpers

/// A log handler that keeps each message as `LEVEL: message`, so a test can read what the
/// code under test logged.
public struct CapturedLog: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(lines: NIOLockedValueBox<[String]>) {
        self.lines = lines
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        lines.withLockedValue { $0.append("\(event.level): \(event.message)") }
    }

    /// A logger whose messages are appended to `lines`.
    public static func logger(into lines: NIOLockedValueBox<[String]>) -> Logger {
        Logger(label: "test") { _ in CapturedLog(lines: lines) }
    }
}
