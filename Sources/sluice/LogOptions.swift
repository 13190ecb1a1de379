import ArgumentParser
import Foundation
import Logging

/// `--log-level` and `SLUICE_LOG_LEVEL`, for the commands that keep running and log
/// (`serve`, `controller`, `up`).
struct LogOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log records at this level and above (default: $SLUICE_LOG_LEVEL, else info).", valueName: "level"))
    var logLevel: Logger.Level?

    func validate() throws {
        _ = try level()
    }

    /// The option, else `SLUICE_LOG_LEVEL`, else info.
    func level(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Logger.Level {
        if let logLevel { return logLevel }
        guard let text = environment["SLUICE_LOG_LEVEL"], !text.isEmpty else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let known = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("SLUICE_LOG_LEVEL is '\(text)'; expected one of \(known)")
        }
        return level
    }

    /// Sends every log record of the process, whoever makes its logger, to standard error as
    /// lines at `level` and above; returns the logger of `style`. Called once per process.
    static func bootstrap(level: Logger.Level, style: LineLogHandler.Style) -> Logger {
        LoggingSystem.bootstrap { _ in LineLogHandler(style: .plain, level: level) }
        return Logger(label: "sluice") { _ in LineLogHandler(style: style, level: level) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
