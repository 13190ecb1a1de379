/// The formats `sluice plan` prints.
public enum PlanFormat: String, Sendable, CaseIterable {
    /// For terminals, like `terraform plan`: `+` added, `-` removed, `~` changed, `!` blocked.
    case text
    /// One stable JSON document for tools.
    case json
    /// A pull-request comment: a summary table and a collapsible section per model.
    case markdown
}
