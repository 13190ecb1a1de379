/// A standard five-column cron schedule (`minute hour day-of-month month day-of-week`), as
/// Argo CD's sync windows and crontab(5) read it: `*`, values, ranges (`1-5`), lists
/// (`1,15`), steps (`*/15`, `0-30/10`, `5/15`) and names (`JAN`–`DEC`, `SUN`–`SAT`, any case),
/// plus the descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`
/// and `@hourly`.
///
/// As in crontab(5), when both day columns are restricted (neither starts with `*`) a day
/// matches if either does (`0 0 1 * MON`: the 1st and every Monday); otherwise both must.
///
/// ```swift
/// let schedule = try CronSchedule.parse("0 22 * * FRI")
/// schedule.matches(year: 2026, month: 12, day: 4)  // true: a Friday
/// ```
public struct CronSchedule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The schedule as written.
    public let text: String
    /// Bit `n` set: minute `n` (0–59) matches.
    let minutes: UInt64
    /// Bit `n` set: hour `n` (0–23) matches.
    let hours: UInt32
    /// Bit `n` set: day of month `n` (1–31) matches.
    let daysOfMonth: UInt32
    /// Bit `n` set: month `n` (1–12) matches.
    let months: UInt16
    /// Bit `n` set: weekday `n` (0 Sunday – 6 Saturday) matches.
    let daysOfWeek: UInt8
    /// Whether both day columns are restricted, so that either one matching is enough.
    let eitherDay: Bool

    init(text: String, minutes: UInt64, hours: UInt32, daysOfMonth: UInt32, months: UInt16, daysOfWeek: UInt8, eitherDay: Bool) {
        self.text = text
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = daysOfWeek
        self.eitherDay = eitherDay
    }

    /// The schedule as written.
    public var description: String { text }

    /// Whether the schedule fires on this calendar day (at some hour and minute).
    public func matches(year: Int, month: Int, day: Int) -> Bool {
        guard months & (1 << UInt16(month)) != 0 else { return false }
        let weekday = CivilDate(year: year, month: month, day: day).weekday
        let domHit = daysOfMonth & (1 << UInt32(day)) != 0
        let dowHit = daysOfWeek & (1 << UInt8(weekday)) != 0
        return eitherDay ? domHit || dowHit : domHit && dowHit
    }

    /// The minutes of a matching day at which the schedule fires, as minutes after midnight, ascending.
    var minutesOfDay: [Int] {
        var result: [Int] = []
        for hour in 0..<24 where hours & (1 << UInt32(hour)) != 0 {
            for minute in 0..<60 where minutes & (1 << UInt64(minute)) != 0 {
                result.append(hour * 60 + minute)
            }
        }
        return result
    }

    /// Decodes the text form and parses it again; a stored schedule that no longer parses is an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch Self.parse(text) {
        case .success(let schedule): self = schedule
        case .failure(let error):
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "schedule '\(text)': \(error)")
        }
    }

    /// Encodes the schedule as written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
