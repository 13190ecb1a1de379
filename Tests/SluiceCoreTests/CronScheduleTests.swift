import SluiceCore
import Testing

/// The cron parser: what it accepts, how day columns combine, and an error naming the
/// column and what is expected for every kind of bad input.
@Suite(.timeLimit(.minutes(10))) struct CronScheduleTests {
    static func schedule(_ text: String) throws -> CronSchedule {
        try CronSchedule.parse(text).get()
    }

    static func error(_ text: String) -> String? {
        if case .failure(let error) = CronSchedule.parse(text) { return error.description }
        return nil
    }

    @Test func valuesRangesListsStepsAndNames() throws {
        let weekdays = try Self.schedule("*/15 9-17 * * MON-FRI")
        #expect(weekdays.matches(year: 2026, month: 12, day: 4))  // Friday
        #expect(!weekdays.matches(year: 2026, month: 12, day: 5))  // Saturday
        let lists = try Self.schedule("0 0 1,15 jan,Jul *")
        #expect(lists.matches(year: 2027, month: 1, day: 15))
        #expect(lists.matches(year: 2027, month: 7, day: 1))
        #expect(!lists.matches(year: 2027, month: 2, day: 1))
        #expect(!lists.matches(year: 2027, month: 1, day: 2))
        // 7 is Sunday, as is 0.
        #expect(try Self.schedule("0 0 * * 7").matches(year: 2026, month: 12, day: 6))
        #expect(try Self.schedule("0 0 * * 0").matches(year: 2026, month: 12, day: 6))
        // `5/20` runs from 5 to the column's end.
        #expect(try Self.sameStarts("5/20 * * * *", "5,25,45 * * * *"))
        #expect(try Self.schedule(" 0\t22  * *   FRI ").description == " 0\t22  * *   FRI ")
    }

    @Test func descriptorsExpandToTheirColumns() throws {
        #expect(try Self.sameStarts("@daily", "0 0 * * *"))
        #expect(try Self.sameStarts("@WEEKLY", "0 0 * * 0"))
        #expect(try Self.sameStarts("@hourly", "0 * * * *"))
        #expect(try Self.sameStarts("@yearly", "0 0 1 JAN *"))
        #expect(try !Self.sameStarts("@monthly", "0 0 2 * *"))
    }

    /// As in crontab(5): both day columns restricted, either matches; one starting with `*`, both must.
    @Test func dayColumnsCombineAsCrontabDoes() throws {
        let either = try Self.schedule("0 0 1 * MON")
        #expect(either.matches(year: 2026, month: 12, day: 1))  // the 1st, a Tuesday
        #expect(either.matches(year: 2026, month: 12, day: 7))  // a Monday
        #expect(!either.matches(year: 2026, month: 12, day: 2))
        let both = try Self.schedule("0 0 */2 * MON")
        #expect(both.matches(year: 2026, month: 12, day: 7))  // odd day and a Monday
        #expect(!both.matches(year: 2026, month: 12, day: 14))  // a Monday, even day
        #expect(!both.matches(year: 2026, month: 12, day: 3))
    }

    @Test func everyErrorNamesTheColumnAndWhatIsExpected() throws {
        #expect(Self.error("61 * * * *") == "column 1: expected a minute 0–59, got 61")
        #expect(Self.error("0 24 * * *") == "column 2: expected an hour 0–23, got 24")
        #expect(Self.error("0 0 32 * *") == "column 3: expected a day of month 1–31, got 32")
        #expect(Self.error("0 0 0 * *") == "column 3: expected a day of month 1–31, got 0")
        #expect(Self.error("0 0 * 13 *") == "column 4: expected a month 1–12 or JAN–DEC, got 13")
        #expect(Self.error("0 0 * JANUARY *") == "column 4: expected a month 1–12 or JAN–DEC, got 'JANUARY'")
        #expect(Self.error("0 0 * * 8") == "column 5: expected a day of week 0–7 or SUN–SAT, got 8")
        #expect(Self.error("0 0 * * FRY") == "column 5: expected a day of week 0–7 or SUN–SAT, got 'FRY'")
        #expect(Self.error("-1 * * * *") == "column 1: expected a minute 0–59, got ''")
        #expect(Self.error("5-1 * * * *") == "column 1: the range '5-1' runs backwards; write the smaller end first")
        #expect(Self.error("0 0 * * FRI-SUN") == "column 5: the range 'FRI-SUN' runs backwards; Sunday is also 7: write 'FRI-7'")
        #expect(try Self.sameStarts("0 0 * * FRI-7", "0 0 * * FRI,SAT,SUN"))
        #expect(Self.error("1-2-3 * * * *") == "column 1: '1-2-3' is not a value or a range; expected a minute 0–59")
        #expect(Self.error("*/0 * * * *") == "column 1: expected a step from 1 to 60 after '/', got '0'")
        #expect(Self.error("* */x * * *") == "column 2: expected a step from 1 to 24 after '/', got 'x'")
        #expect(Self.error("* * * * 1/2/3") == "column 5: '1/2/3' has more than one '/'")
        #expect(Self.error("1,,2 * * * *") == "column 1: an empty item in '1,,2'; expected a minute 0–59")
        #expect(Self.error("0 0 ? * MON") == "column 3: '?' is Quartz syntax; write '*'")
        #expect(Self.error("0 0 30 2 *") == "column 3: day '30' never occurs in month '2'; the schedule would never match")
        #expect(Self.error("0 0 31 APR,JUN *") == "column 3: day '31' never occurs in month 'APR,JUN'; the schedule would never match")
        #expect(Self.error("99999999999999999999 * * * *") == "column 1: expected a minute 0–59, got '99999999999999999999'")
        #expect(Self.error("* * * *") == "expected 5 columns (minute hour day-of-month month day-of-week), found 4 columns")
        #expect(Self.error("0 * * * * *") == "expected 5 columns (minute hour day-of-month month day-of-week), found 6 columns (seconds are not supported)")
        #expect(Self.error("") == "expected 5 columns (minute hour day-of-month month day-of-week), found an empty schedule")
        #expect(Self.error("@often")?.hasPrefix("unknown descriptor '@often'; expected one of @annually, @daily,") == true)
        // 29 February exists (in leap years), and a weekday column makes an impossible day reachable.
        #expect(Self.error("0 0 29 2 *") == nil)
        #expect(Self.error("0 0 30 2 MON") == nil)
    }

    /// Hostile text never traps: every string either parses or names a column.
    @Test func hostileTextNeverTraps() {
        let pieces = ["*", "/", "-", ",", "0", "59", "60", "MON", "x", "\u{0}", "é", "999999999999", "@", " "]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...14, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            _ = CronSchedule.parse(text)
        }
    }
}

extension CronScheduleTests {
    /// Whether two spellings fire at the same 200 instants from 2026-12-05.
    static func sameStarts(_ first: String, _ second: String) throws -> Bool {
        func starts(_ text: String) throws -> [Double] {
            let window = ChangeWindow(kind: .deny, schedule: try schedule(text), duration: .seconds(60))
            var instant = 1_796_428_800.0
            return (0..<200).compactMap { _ in
                let next = window.nextStart(after: instant)
                instant = next ?? instant
                return next
            }
        }
        return try starts(first) == starts(second)
    }
}
