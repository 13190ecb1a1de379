import Foundation

extension ChangeWindow {
    /// How far ahead the next match of a schedule is looked for: nine years covers the longest
    /// gap a valid schedule can have (29 February with no weekday, 2096 to 2104).
    static let searchDays = 366 * 9
    /// How far past `now` the end of a window that keeps reopening is followed before it is
    /// called endless.
    static let endHorizon: Double = 400 * 86_400

    /// The first time after `instant` (strictly) at which the window opens; nil if none within nine years.
    public func nextStart(after instant: Double) -> Double? {
        var starts = WindowStarts(schedule: schedule, zone: ZoneName.zone(timeZone), after: instant)
        return starts.next()
    }

    /// Whether the window is open at `instant`: it opened at most `duration` ago (the end is
    /// exclusive: a one-hour window from 10:00 is closed at 11:00).
    public func isOpen(at instant: Double) -> Bool {
        guard let start = nextStart(after: instant - duration.seconds) else { return false }
        return start <= instant
    }

    /// When the window, open at `instant`, closes for good: the end of its last opening that
    /// overlaps or touches the one before (a duration longer than the schedule's period keeps
    /// it open). Nil when it is closed at `instant`, or stays open past 400 days.
    public func end(openAt instant: Double) -> Double? {
        var starts = WindowStarts(schedule: schedule, zone: ZoneName.zone(timeZone), after: instant - duration.seconds)
        guard let first = starts.next(), first <= instant else { return nil }
        var end = first + duration.seconds
        while true {
            // A day whose remaining starts all chain is passed in one step (`* * * * *` for 1h
            // would otherwise be followed minute by minute).
            if let chained = starts.skipChain(within: end, gap: duration.seconds) {
                end = max(end, chained + duration.seconds)
            } else if let start = starts.next(), start <= end {
                end = max(end, start + duration.seconds)
            } else {
                return end
            }
            if end - instant > Self.endHorizon { return nil }
        }
    }
}

/// The instants at which a schedule matches in a time zone, ascending, from just after a given instant.
///
/// Local times that do not exist (skipped when clocks go forward) fire shifted forward by the
/// length of the gap, at the instant the same local time would have had with the offset
/// before the change (02:30 on the day Europe/Berlin goes from 02:00 to 03:00 fires at 03:30
/// CEST), as Go's `time.Date` and java.time resolve it. Local times that occur twice (when
/// clocks go back) fire once, at the first occurrence (01:30 EDT, not 01:30 EST, in
/// America/New_York).
struct WindowStarts: IteratorProtocol {
    let schedule: CronSchedule
    let zone: TimeZone
    let after: Double
    let minutesOfDay: [Int]
    /// The local day (days since 1970-01-01) whose starts are in ``pending``.
    var day: Int
    let lastDay: Int
    var pending: [Double] = []
    /// `suffixGaps[i]`: the longest gap between consecutive starts of ``pending`` from `i` on.
    var suffixGaps: [Double] = []
    var index = 0
    var last = -Double.infinity

    init(schedule: CronSchedule, zone: TimeZone, after: Double) {
        self.schedule = schedule
        self.zone = zone
        self.after = after
        minutesOfDay = schedule.minutesOfDay
        let local = after + Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: after)))
        // A day early: a start shifted by a gap can fall on the next local day.
        day = Int((local / 86_400).rounded(.down)) - 2
        lastDay = day + ChangeWindow.searchDays
    }

    mutating func next() -> Double? {
        while true {
            while index < pending.count {
                let start = pending[index]
                index += 1
                if start > after, start > last {
                    last = start
                    return start
                }
            }
            day += 1
            guard day <= lastDay else { return nil }
            let date = CivilDate(daysSinceEpoch: day)
            guard schedule.matches(year: date.year, month: date.month, day: date.day) else { continue }
            pending = starts(onLocalDay: day)
            suffixGaps = Array(repeating: 0, count: pending.count)
            for position in stride(from: pending.count - 2, through: 0, by: -1) {
                suffixGaps[position] = max(suffixGaps[position + 1], pending[position + 1] - pending[position])
            }
            index = 0
        }
    }

    /// When the current day's remaining starts chain from `end` (the next one at most `end`,
    /// each within `gap` of the one before), consumes them and returns the last; else nil.
    mutating func skipChain(within end: Double, gap: Double) -> Double? {
        guard index < pending.count, pending[index] <= end, pending[index] > after, pending[index] > last, suffixGaps[index] <= gap
        else { return nil }
        let final = pending[pending.count - 1]
        index = pending.count
        last = final
        return final
    }

    /// The instants of one local day's matches, ascending.
    private func starts(onLocalDay day: Int) -> [Double] {
        let midnight = Double(day) * 86_400
        // Offsets well before and well after the day: equal, the day has no transition
        // (time zones never change twice within three days).
        let before = offset(at: midnight - 86_400), afterDay = offset(at: midnight + 2 * 86_400)
        if before == afterDay {
            return minutesOfDay.map { midnight + Double($0 * 60) - before }
        }
        var result: [Double] = []
        for minute in minutesOfDay {
            let local = midnight + Double(minute * 60)
            // The instants that show this local time; none in a gap, two in an overlap.
            let valid = [local - before, local - afterDay].filter { offset(at: $0) == local - $0 }
            result.append(valid.min() ?? local - before)
        }
        return result.sorted()
    }

    private func offset(at instant: Double) -> Double {
        Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: instant)))
    }
}
