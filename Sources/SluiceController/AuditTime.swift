import Foundation
import SluiceCore

/// The times of the audit export: RFC 3339 on the wire (`since`, `until` of `GET /v1/history`),
/// and on the command line also a duration before now (`sluice history --since 24h`).
package enum AuditTime {
    /// A time that cannot be read; the message says what is expected.
    package struct Problem: Error, CustomStringConvertible {
        package var description: String
    }

    /// Seconds since 1970 of an RFC 3339 time (`2026-12-05T08:00:00Z`, fractional seconds and
    /// offsets allowed); nil when `text` is not one.
    package static func parse(rfc3339 text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    /// `seconds` in RFC 3339, UTC, with milliseconds.
    package static func format(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// A bound given as `option`: an RFC 3339 time, or a duration before `now` (`24h`, `90m`).
    package static func bound(_ text: String, option: String, now: Double) throws(Problem) -> Double {
        if let seconds = parse(rfc3339: text) { return seconds }
        let (duration, error) = Duration.parse(text)
        if let duration { return now - duration.seconds }
        let why = text.first?.isNumber == true && !text.contains("-") ? ": \(error ?? "")" : ""
        throw Problem(description: "\(option): expected an RFC 3339 time (2026-12-05T08:00:00Z) or a duration before now (24h, 30m), found '\(text)'\(why)")
    }
}
