import SluiceCore
import Testing

/// `spec.windows`: decoded with the default time zone, validated with errors that name the
/// field (and for a schedule, the column), and kept out of the spec digest.
@Suite(.timeLimit(.minutes(10))) struct WindowManifestTests {
    typealias F = PlanFixtures

    static func manifest(_ windows: String) -> String {
        F.iris() + "  windows:\n" + windows
    }

    static func messages(_ windows: String) -> [String] {
        F.file("w.yaml", manifest(windows)).diagnostics.map { "\($0.location.line):\($0.location.column) \($0.fieldPath): \($0.message)" }
    }

    @Test func windowsDecodeWithTheirDefaults() throws {
        let deployment = try F.deployment(Self.manifest("""
                - {kind: deny, schedule: "0 22 * * FRI", duration: 60h, timeZone: Europe/Berlin}
                - kind: allow
                  schedule: "@daily"
                  duration: 8h

            """))
        #expect(deployment.windows == [
            ChangeWindow(kind: .deny, schedule: try CronSchedule.parse("0 22 * * FRI").get(), duration: .seconds(216_000), timeZone: "Europe/Berlin"),
            ChangeWindow(kind: .allow, schedule: try CronSchedule.parse("@daily").get(), duration: .seconds(28_800), timeZone: "UTC"),
        ])
        #expect(try F.deployment(F.iris()).windows.isEmpty)
    }

    /// A window says when, never what runs: adding or changing one starts no rollout.
    @Test func windowsAreNotPartOfTheSpecDigest() throws {
        let without = try F.deployment(F.iris())
        let with = try F.deployment(Self.manifest("    - {kind: deny, schedule: \"0 22 * * FRI\", duration: 60h}\n"))
        #expect(without.specDigest == with.specDigest)
    }

    @Test func badWindowsNameTheFieldTheColumnAndWhatIsExpected() {
        #expect(Self.messages("    - {kind: deny, schedule: \"0 0 32 * *\", duration: 1h}\n") == [
            "11:30 spec.windows[0].schedule: spec.windows[0].schedule: column 3: expected a day of month 1–31, got 32",
        ])
        #expect(Self.messages("    - {kind: deny, schedule: \"0 0 * *\", duration: 1h}\n") == [
            "11:30 spec.windows[0].schedule: spec.windows[0].schedule: expected 5 columns (minute hour day-of-month month day-of-week), found 4 columns",
        ])
        #expect(Self.messages("    - {kind: deny, schedule: \"0 0 * * *\", duration: 1h, timeZone: Europe/Berlinn}\n") == [
            "11:67 spec.windows[0].timeZone: 'Europe/Berlinn' is not an IANA time zone name such as UTC, Europe/Berlin or America/New_York; did you mean 'Europe/Berlin'?",
        ])
        #expect(Self.messages("    - {kind: block, schedule: \"0 0 * * *\", duration: 1h}\n") == [
            "11:14 spec.windows[0].kind: 'block' is not one of allow, deny",
        ])
        #expect(Self.messages("    - {kind: deny, schedule: \"0 0 * * *\"}\n") == [
            "11:7 spec.windows[0].duration: missing required field 'duration' in spec.windows[0]",
        ])
        #expect(Self.messages("    - {kind: deny, schedule: \"0 0 * * *\", duration: 1d}\n") == [
            "11:53 spec.windows[0].duration: '1d' uses the unit 'd'; units are ms, s, m and h (a day is 24h)",
        ])
        #expect(Self.messages("    - {kind: deny, schedule: \"0 0 * * *\", duration: 1h, timezone: UTC}\n") == [
            "11:57 spec.windows[0].timezone: unknown field 'timezone' in spec.windows[0]; did you mean 'timeZone'?",
        ])
        #expect(Self.messages("    - {kind: deny, schedule: 5, duration: 1h}\n").count == 1)
    }

    /// `sluice plan` notes a change a model's window would hold now; a fast rollback none.
    @Test func planNotesAChangeAWindowWouldHold() {
        let always = "    - {kind: deny, schedule: \"* * * * *\", duration: 1h}\n"
        let from = F.state("base", [("iris.yaml", F.iris())])
        let to = F.state("head", [("iris.yaml", Self.manifest(always).replacingOccurrences(of: "iris-v1", with: "iris-v2"))])
        var plan = Planner().plan(from: from, to: to)
        plan.noteWindows(to: to, at: 1_796_428_800)
        #expect(plan.changes.first?.notes == [
            "applied now, this change would wait: deny window spec.windows[0] ('* * * * *' for 1h, UTC) is open; changes wait with no end within a year",
        ])
        let windowless = F.state("head", [("iris.yaml", F.iris(artifact: "models/iris-v2.json"))])
        var open = Planner().plan(from: from, to: windowless)
        open.noteWindows(to: windowless, at: 1_796_428_800)
        #expect(open.changes.first?.notes == [])
    }
}
