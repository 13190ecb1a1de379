extension ManifestSchema {
    /// One change window, shared by a manifest's `spec.windows` and the operator's `controller.windows`.
    public static let window = ObjectSchema(
        name: "ChangeWindow", plural: "change windows",
        description: "A time when changes are held (`deny`) or the only time they happen (`allow`), as Argo CD's sync windows: from each time `schedule` matches in `timeZone`, for `duration`. Deny wins over allow; when any allow window exists, new rollouts and promotions happen only inside one. Rollbacks and aborts are never held. See docs/windows.md.",
        fields: [
            FieldSchema(
                "kind", .enumeration(ChangeWindow.Kind.allCases.map(\.rawValue)), required: true,
                "`deny`: no new rollout starts and no rollout advances a step or promotes while the window is open. `allow`: they happen only while an allow window is open."),
            FieldSchema(
                "schedule", .string(.cronSchedule), required: true,
                "When the window opens: a standard five-column cron schedule `minute hour day-of-month month day-of-week` with `*`, ranges (`1-5`), lists (`1,15`), steps (`*/15`) and names (`JAN`, `MON`), or `@daily`, `@weekly` and the like, read in `timeZone`."),
            FieldSchema(
                "duration", .string(.duration), required: true,
                "How long the window stays open each time it opens (`1h`, `60h`); elapsed time, whatever the clocks do meanwhile. Longer than the schedule's period, the window never closes."),
            FieldSchema(
                "timeZone", .string(.timeZone), default: ChangeWindow.defaultTimeZone,
                "The IANA time zone the schedule is read in (`Europe/Berlin`). A start at a local time skipped by a clock change opens the window shifted by the gap; one at a time that occurs twice opens it at the first."),
        ])

    /// The `windows` field of a manifest's spec.
    static let windowsField = FieldSchema(
        "windows", .list(.object(window), minItems: 0, uniqueField: nil),
        "Change windows for this model, in addition to the operator's `controller.windows`: deny windows hold new rollouts and promotions; with allow windows they happen only inside one. Rollbacks and aborts always happen. Changing windows starts no rollout.")
}
