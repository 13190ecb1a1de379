import Foundation
import Logging

/// Writes each log record as one line on standard error, in the format sluice always wrote:
/// `2026-05-01T12:00:00Z message`, or `2026-05-01T12:00:00Z serve info: message` for the data
/// plane, followed by the record's metadata as ` key=value` pairs sorted by key. Callers pass
/// no secrets: tokens are read once and only compared, never logged.
struct LineLogHandler: LogHandler {
    /// What stands between the time stamp and the message.
    enum Style: Sendable {
        /// The message alone (the controller, `sluice up`).
        case plain
        /// `component level: ` (the data plane: `serve info: `).
        case leveled(component: String)
    }

    var style: Style
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(style: Style, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.style = style
        logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        let text = Self.line(at: Date(), style: style, level: event.level, message: event.message.description, metadata: merged)
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// One record as written, newline included.
    static func line(at date: Date, style: Style, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var text = date.formatted(.iso8601) + " "
        if case .leveled(let component) = style { text += "\(component) \(level.rawValue): " }
        text += message
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            text += " \(key)=\(quoted(render(value)))"
        }
        return text + "\n"
    }

    private static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(render).joined(separator: ",") + "]"
        case .dictionary(let entries): "{" + entries.sorted { $0.key < $1.key }.map { "\($0.key)=\(render($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// A value with spaces, quotes, `=` or control characters is quoted, so a line always
    /// splits back into its pairs and a value can never forge another line.
    private static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && scalar != "\"" && scalar != "=" && scalar != "\\"
        }
        if plain { return value }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += String(format: "\\u%04X", scalar.value)
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
