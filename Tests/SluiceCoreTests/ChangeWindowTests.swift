import Foundation
import SluiceCore
import Testing

/// When windows open and close in their time zones (clock changes included), and the gate
/// Argo CD's rules make of several windows.
@Suite(.timeLimit(.minutes(10))) struct ChangeWindowTests {
    /// Seconds since the epoch of an RFC 3339 UTC time.
    static func utc(_ text: String) -> Double {
        ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970
    }

    static func window(_ kind: ChangeWindow.Kind = .deny, _ schedule: String, _ duration: String, _ zone: String = "UTC") throws -> ChangeWindow {
        ChangeWindow(
            kind: kind, schedule: try CronSchedule.parse(schedule).get(), duration: try #require(Duration.parse(duration).value), timeZone: zone)
    }

    static func at(_ instant: Double?) -> String { instant.map(Timestamp.iso8601) ?? "none" }

    @Test func timestampsAreUTC() {
        #expect(Timestamp.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.iso8601(Self.utc("2028-02-29T23:59:59Z")) == "2028-02-29T23:59:59Z")
        #expect(Timestamp.iso8601(-1) == "1969-12-31T23:59:59Z")
    }

    @Test func opensAtTheScheduleInItsZoneForItsDuration() throws {
        let friday = try Self.window(.deny, "0 22 * * FRI", "60h", "Europe/Berlin")
        // Friday 2026-12-04 22:00 CET is 21:00 UTC.
        #expect(Self.at(friday.nextStart(after: Self.utc("2026-12-01T00:00:00Z"))) == "2026-12-04T21:00:00Z")
        #expect(!friday.isOpen(at: Self.utc("2026-12-04T20:59:59Z")))
        #expect(friday.isOpen(at: Self.utc("2026-12-04T21:00:00Z")))
        #expect(friday.isOpen(at: Self.utc("2026-12-07T08:59:59Z")))
        // The end is exclusive: 60 hours later the window is closed.
        #expect(!friday.isOpen(at: Self.utc("2026-12-07T09:00:00Z")))
        #expect(Self.at(friday.end(openAt: Self.utc("2026-12-05T12:00:00Z"))) == "2026-12-07T09:00:00Z")
        #expect(friday.end(openAt: Self.utc("2026-12-08T12:00:00Z")) == nil)
    }

    @Test func aWindowSpanningMidnight() throws {
        let night = try Self.window(.deny, "0 22 * * *", "4h")
        #expect(night.isOpen(at: Self.utc("2026-12-05T23:30:00Z")))
        #expect(night.isOpen(at: Self.utc("2026-12-06T01:59:00Z")))
        #expect(!night.isOpen(at: Self.utc("2026-12-06T02:00:00Z")))
        #expect(Self.at(night.end(openAt: Self.utc("2026-12-06T01:00:00Z"))) == "2026-12-06T02:00:00Z")
    }

    @Test func aWindowSpanningAMonthAndYearEnd() throws {
        let closing = try Self.window(.deny, "0 20 31 * *", "48h")
        #expect(closing.isOpen(at: Self.utc("2027-01-01T12:00:00Z")))
        #expect(Self.at(closing.end(openAt: Self.utc("2027-01-01T12:00:00Z"))) == "2027-01-02T20:00:00Z")
        // November has no 31st: the next opening after December's is January's.
        #expect(Self.at(closing.nextStart(after: Self.utc("2026-11-01T00:00:00Z"))) == "2026-12-31T20:00:00Z")
        #expect(Self.at(closing.nextStart(after: Self.utc("2026-12-31T20:00:00Z"))) == "2027-01-31T20:00:00Z")
        // 29 February only comes in leap years.
        let leap = try Self.window(.deny, "0 0 29 2 *", "1h")
        #expect(Self.at(leap.nextStart(after: Self.utc("2026-12-05T00:00:00Z"))) == "2028-02-29T00:00:00Z")
    }

    /// A duration longer than the schedule's period keeps the window open: overlapping
    /// openings chain, and one that never closes has no end.
    @Test func aDurationLongerThanThePeriod() throws {
        let weekdays = try Self.window(.deny, "0 9 * * MON-FRI", "25h")
        // Opened Monday 09:00, reopened before each close until Friday's: closes Saturday 10:00.
        #expect(Self.at(weekdays.end(openAt: Self.utc("2026-12-08T12:00:00Z"))) == "2026-12-12T10:00:00Z")
        let always = try Self.window(.deny, "0 * * * *", "2h")
        #expect(always.isOpen(at: Self.utc("2026-12-05T12:34:00Z")))
        #expect(always.end(openAt: Self.utc("2026-12-05T12:34:00Z")) == nil)
        let gate = WindowGate.evaluate([LabeledWindow(label: "spec.windows[0]", window: always)], at: Self.utc("2026-12-05T12:34:00Z"))
        guard case .closed(let closure) = gate else { Issue.record("expected closed, got \(gate)"); return }
        #expect(closure.until == nil)
        #expect(closure.message.hasSuffix("changes wait with no end within a year"))
    }

    /// Minute-by-minute schedules chain into one window: business hours close at 18:00, and
    /// every minute for a minute never closes.
    @Test func minuteSchedulesChain() throws {
        let hours = try Self.window(.deny, "* 9-17 * * MON-FRI", "1m")
        #expect(Self.at(hours.end(openAt: Self.utc("2026-12-07T10:00:00Z"))) == "2026-12-07T18:00:00Z")
        #expect(!hours.isOpen(at: Self.utc("2026-12-07T18:00:00Z")))
        let overnight = try Self.window(.deny, "* 9-17 * * MON-FRI", "16h")
        // 17:59 + 16h reaches 09:59 the next day: Monday to Friday is one window, closing Saturday 09:59.
        #expect(Self.at(overnight.end(openAt: Self.utc("2026-12-07T10:00:00Z"))) == "2026-12-12T09:59:00Z")
        let always = try Self.window(.deny, "* * * * *", "1m")
        #expect(always.end(openAt: Self.utc("2026-12-07T10:00:30Z")) == nil)
    }

    /// Spring forward in Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST, so 02:30
    /// does not exist that day. The window opens shifted by the gap, at 03:30 CEST (01:30 UTC,
    /// what 02:30 CET would have been), and lasts its full duration.
    @Test func aStartSkippedBySpringForwardOpensShiftedByTheGap() throws {
        let window = try Self.window(.deny, "30 2 * * *", "1h", "Europe/Berlin")
        #expect(Self.at(window.nextStart(after: Self.utc("2026-03-28T00:00:00Z"))) == "2026-03-28T01:30:00Z")  // 02:30 CET
        #expect(Self.at(window.nextStart(after: Self.utc("2026-03-28T02:00:00Z"))) == "2026-03-29T01:30:00Z")  // 03:30 CEST
        #expect(Self.at(window.nextStart(after: Self.utc("2026-03-29T01:30:00Z"))) == "2026-03-30T00:30:00Z")  // 02:30 CEST
        #expect(window.isOpen(at: Self.utc("2026-03-29T02:00:00Z")))
        #expect(Self.at(window.end(openAt: Self.utc("2026-03-29T02:00:00Z"))) == "2026-03-29T02:30:00Z")
        // Starts on either side of the gap keep their order.
        let both = try Self.window(.deny, "30 2,3 * * *", "10m", "Europe/Berlin")
        #expect(Self.at(both.nextStart(after: Self.utc("2026-03-29T00:00:00Z"))) == "2026-03-29T01:30:00Z")
        #expect(Self.at(both.nextStart(after: Self.utc("2026-03-29T01:30:00Z"))) == "2026-03-30T00:30:00Z")
    }

    /// Fall back in America/New_York, 2026-11-01: 02:00 EDT becomes 01:00 EST, so 01:30
    /// happens twice. The window opens once, at the first (01:30 EDT, 05:30 UTC), and closes
    /// after its duration in elapsed time (06:30 UTC, which is 01:30 EST).
    @Test func aStartThatOccursTwiceOnFallBackOpensOnceAtTheFirst() throws {
        let window = try Self.window(.deny, "30 1 * * *", "1h", "America/New_York")
        #expect(Self.at(window.nextStart(after: Self.utc("2026-11-01T00:00:00Z"))) == "2026-11-01T05:30:00Z")
        #expect(Self.at(window.nextStart(after: Self.utc("2026-11-01T05:30:00Z"))) == "2026-11-02T06:30:00Z")
        #expect(window.isOpen(at: Self.utc("2026-11-01T06:15:00Z")))  // 01:15 EST, still within the hour
        #expect(!window.isOpen(at: Self.utc("2026-11-01T06:45:00Z")))  // 01:45 EST, the second 01:30 opens nothing
        #expect(Self.at(window.end(openAt: Self.utc("2026-11-01T06:00:00Z"))) == "2026-11-01T06:30:00Z")
        // A day after the change the schedule follows EST.
        #expect(window.isOpen(at: Self.utc("2026-11-02T07:00:00Z")))
    }

    @Test func denyHoldsUntilItCloses() throws {
        let deny = LabeledWindow(label: "spec.windows[0]", window: try Self.window(.deny, "0 22 * * FRI", "60h", "Europe/Berlin"))
        #expect(WindowGate.evaluate([deny], at: Self.utc("2026-12-04T12:00:00Z")) == .open)
        let gate = WindowGate.evaluate([deny], at: Self.utc("2026-12-05T12:00:00Z"))
        #expect(gate == .closed(.init(cause: .deny(deny), until: Self.utc("2026-12-07T09:00:00Z"))))
        guard case .closed(let closure) = gate else { return }
        #expect(closure.message == "deny window spec.windows[0] ('0 22 * * FRI' for 60h, Europe/Berlin) is open; changes wait until 2026-12-07T09:00:00Z")
        #expect(WindowGate.evaluate([], at: 0) == .open)
    }

    /// With allow windows, changes happen only inside one; deny wins over allow.
    @Test func allowWindowsAndDenyWinning() throws {
        let office = LabeledWindow(label: "controller.windows[0]", window: try Self.window(.allow, "0 9 * * MON-FRI", "8h"))
        // Saturday: no allow window is open; changes wait until Monday 09:00.
        let weekend = WindowGate.evaluate([office], at: Self.utc("2026-12-05T12:00:00Z"))
        #expect(weekend == .closed(.init(cause: .outsideAllow, until: Self.utc("2026-12-07T09:00:00Z"))))
        #expect(WindowGate.evaluate([office], at: Self.utc("2026-12-07T10:00:00Z")) == .open)
        #expect(WindowGate.evaluate([office], at: Self.utc("2026-12-07T17:00:00Z")) != .open)
        // A deny window inside the allowed hours wins, and the wait ends when it closes.
        let lunch = LabeledWindow(label: "spec.windows[0]", window: try Self.window(.deny, "0 12 * * *", "1h"))
        #expect(WindowGate.evaluate([office, lunch], at: Self.utc("2026-12-07T12:30:00Z"))
            == .closed(.init(cause: .deny(lunch), until: Self.utc("2026-12-07T13:00:00Z"))))
        // A deny window that outlasts the allowed hours: the wait runs to the next allow window.
        let late = LabeledWindow(label: "spec.windows[1]", window: try Self.window(.deny, "0 16 * * *", "2h"))
        #expect(WindowGate.evaluate([office, late], at: Self.utc("2026-12-07T16:30:00Z"))
            == .closed(.init(cause: .deny(late), until: Self.utc("2026-12-08T09:00:00Z"))))
        // Two allow windows: inside either is enough.
        let evening = LabeledWindow(label: "spec.windows[2]", window: try Self.window(.allow, "0 20 * * *", "1h"))
        #expect(WindowGate.evaluate([office, evening], at: Self.utc("2026-12-05T20:30:00Z")) == .open)
    }

    @Test func timeZonesAreIANANames() {
        #expect(ZoneName.problem("Europe/Berlin") == nil)
        #expect(ZoneName.problem("UTC") == nil)
        #expect(ZoneName.problem("Asia/Kolkata") == nil)
        #expect(ZoneName.problem("Etc/GMT-5") == nil)
        #expect(ZoneName.problem("europe/berlin") == "'europe/berlin' is not an IANA time zone name such as UTC, Europe/Berlin or America/New_York; did you mean 'Europe/Berlin'?")
        #expect(ZoneName.problem("Europe/Berlinn")?.hasSuffix("did you mean 'Europe/Berlin'?") == true)
        #expect(ZoneName.problem("GMT+5")?.contains("Etc/GMT-N for UTC+N") == true)
        #expect(ZoneName.problem("Mars/Olympus_Mons") != nil)
        #expect(ZoneName.problem("../../etc/passwd") != nil)
        #expect(ZoneName.problem("") == "a time zone may not be empty")
    }
}
