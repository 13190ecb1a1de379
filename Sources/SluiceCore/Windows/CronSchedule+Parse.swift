/// Why a schedule does not parse: the column (1–5, nil for the schedule as a whole) and
/// what is expected there.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The column counted from 1 (minute, hour, day of month, month, day of week); nil when
    /// the problem is the schedule as a whole (the number of columns, a descriptor).
    public var column: Int?
    /// What is wrong and what is expected.
    public var message: String

    /// `column 3: expected a day of month 1–31, got 32`.
    public var description: String { column.map { "column \($0): \(message)" } ?? message }
}

extension CronSchedule {
    /// One column's rules: its range, the names it accepts and how to say what it expects.
    struct Column {
        var number: Int
        var low: Int
        var high: Int
        var names: [String]
        var namesStartAt: Int
        var what: String

        var expectation: String {
            let range = "\(what) \(low)–\(high)"
            guard let first = names.first, let last = names.last else { return range }
            return "\(range) or \(first)–\(last)"
        }
    }

    static let columns = [
        Column(number: 1, low: 0, high: 59, names: [], namesStartAt: 0, what: "a minute"),
        Column(number: 2, low: 0, high: 23, names: [], namesStartAt: 0, what: "an hour"),
        Column(number: 3, low: 1, high: 31, names: [], namesStartAt: 0, what: "a day of month"),
        Column(
            number: 4, low: 1, high: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
            namesStartAt: 1, what: "a month"),
        // 7 is Sunday too, as in crontab(5).
        Column(number: 5, low: 0, high: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], namesStartAt: 0, what: "a day of week"),
    ]

    static let descriptors: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses a schedule; the error names the column and what it expects.
    public static func parse(_ text: String) -> Result<CronSchedule, CronError> {
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if trimmed.count == 1, trimmed[0].hasPrefix("@") {
            guard let expansion = descriptors[trimmed[0].lowercased()] else {
                return .failure(CronError(
                    column: nil,
                    message: "unknown descriptor '\(trimmed[0])'; expected one of " + descriptors.keys.sorted().joined(separator: ", ")
                        + " or five columns"))
            }
            return parseColumns(expansion.split(separator: " ").map(String.init), text: text)
        }
        guard trimmed.count == 5 else {
            let found = trimmed.isEmpty ? "an empty schedule" : "\(trimmed.count) column\(trimmed.count == 1 ? "" : "s")"
            let extra = trimmed.count == 6 ? " (seconds are not supported)" : ""
            return .failure(CronError(
                column: nil, message: "expected 5 columns (minute hour day-of-month month day-of-week), found \(found)\(extra)"))
        }
        return parseColumns(trimmed, text: text)
    }

    private static func parseColumns(_ parts: [String], text: String) -> Result<CronSchedule, CronError> {
        var masks: [UInt64] = []
        for (part, column) in zip(parts, columns) {
            switch parseColumn(part, column) {
            case .success(let mask): masks.append(mask)
            case .failure(let error): return .failure(error)
            }
        }
        // Day of week 7 is Sunday (0).
        var weekdays = masks[4]
        if weekdays & (1 << 7) != 0 { weekdays = (weekdays | 1) & ~(1 << 7) }
        let domRestricted = !parts[2].hasPrefix("*"), dowRestricted = !parts[4].hasPrefix("*")
        let schedule = CronSchedule(
            text: text, minutes: masks[0], hours: UInt32(masks[1]), daysOfMonth: UInt32(masks[2]), months: UInt16(masks[3]),
            daysOfWeek: UInt8(weekdays), eitherDay: domRestricted && dowRestricted)
        // Without a weekday to fall back on, a day that no chosen month has never comes (`0 0 30 2 *`).
        if !schedule.eitherDay {
            let reachable = (1...12).contains { month in
                schedule.months & (1 << UInt16(month)) != 0
                    && (1...CivilDate.daysIn(month: month, year: 2000)).contains { schedule.daysOfMonth & (1 << UInt32($0)) != 0 }
            }
            if !reachable {
                return .failure(CronError(
                    column: 3, message: "day '\(parts[2])' never occurs in month '\(parts[3])'; the schedule would never match"))
            }
        }
        return .success(schedule)
    }

    /// A column: a comma-separated list of `*`, values, ranges and steps, as a bit mask.
    private static func parseColumn(_ text: String, _ column: Column) -> Result<UInt64, CronError> {
        func failure(_ message: String) -> Result<UInt64, CronError> { .failure(CronError(column: column.number, message: message)) }
        var mask: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if item.isEmpty { return failure("an empty item in '\(text)'; expected \(column.expectation)") }
            if item == "?" { return failure("'?' is Quartz syntax; write '*'") }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { return failure("'\(item)' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                let span = column.high - column.low + 1
                guard let value = Int(pieces[1]), (1...span).contains(value), pieces[1].allSatisfy(\.isASCIIDigit) else {
                    return failure("expected a step from 1 to \(span) after '/', got '\(pieces[1])'")
                }
                step = value
            }
            let range = pieces[0]
            var low: Int, high: Int
            if range == "*" {
                (low, high) = (column.low, column.high)
            } else {
                let ends = range.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard ends.count <= 2 else { return failure("'\(range)' is not a value or a range; expected \(column.expectation)") }
                switch value(ends[0], column) {
                case .failure(let error): return .failure(error)
                case .success(let number): low = number
                }
                if ends.count == 2 {
                    switch value(ends[1], column) {
                    case .failure(let error): return .failure(error)
                    case .success(let number): high = number
                    }
                    if high < low {
                        // `FRI-SUN` wraps past Saturday: Sunday is also 7.
                        let wraps = column.number == 5 && high == 0 ? "; Sunday is also 7: write '\(ends[0])-7'" : "; write the smaller end first"
                        return failure("the range '\(range)' runs backwards\(wraps)")
                    }
                } else {
                    // `5/15` means from 5 to the end in steps of 15.
                    high = pieces.count == 2 ? column.high : low
                }
            }
            for number in stride(from: low, through: high, by: step) { mask |= 1 << UInt64(number) }
        }
        return .success(mask)
    }

    private static func value(_ text: String, _ column: Column) -> Result<Int, CronError> {
        let failure = CronError(column: column.number, message: "expected \(column.expectation), got '\(text)'")
        if let index = column.names.firstIndex(of: text.uppercased()) { return .success(index + column.namesStartAt) }
        guard !text.isEmpty, text.count <= 9, text.allSatisfy(\.isASCIIDigit), let number = Int(text) else { return .failure(failure) }
        guard (column.low...column.high).contains(number) else {
            return .failure(CronError(column: column.number, message: "expected \(column.expectation), got \(number)"))
        }
        return .success(number)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
