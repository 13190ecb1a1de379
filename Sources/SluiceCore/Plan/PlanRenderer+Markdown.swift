extension PlanRenderer {
    /// The plan as a pull-request comment: a heading, the summary, a table of models and
    /// actions, a collapsed section per model with its differences, and the diagnostics.
    func renderMarkdown(_ plan: Plan) -> String {
        var output = "## Sluice plan: \(Self.code(plan.fromRevision ?? "nothing deployed")) → \(Self.code(plan.toRevision))\n\n"
        if let subject = plan.subject { output += "Planned: \(Self.escape(subject.describe(from: plan.fromRevision, to: plan.toRevision))).\n\n" }
        for note in plan.notes { output += "> [!NOTE]\n> \(Self.escape(note))\n\n" }
        output += "**\(Self.escape(plan.summary))**\n"
        if let refusal = plan.refusal {
            output += "\n> [!WARNING]\n> **Pruning refused.** \(Self.escape(refusal))\n"
        }
        if plan.toHasErrors {
            let errors = plan.toDiagnostics.count { $0.severity == .error }
            output += "\n> [!CAUTION]\n> \(Self.code(plan.toRevision)) has \(errors) error\(errors == 1 ? "" : "s"). "
                + "Models with invalid manifests keep their last good state; the others plan normally.\n"
        }

        let changes = listed(plan)
        if !changes.isEmpty {
            output += "\n| | Model | Change | Action |\n|---|---|---|---|\n"
            for change in changes {
                let mark = change.kind == .unchanged ? "" : Self.code(change.kind.symbol)
                output += "| \(mark) | \(Self.code(change.name)) | \(change.kind.rawValue) | \(Self.escape(Self.headline(change))) |\n"
            }
            for change in changes { output += "\n" + Self.markdownDetails(change, revision: plan.toRevision) }
        }

        if !plan.commits.isEmpty {
            output += "\n### Commits\n\n| Commit | Signature | Summary |\n|---|---|---|\n"
            for commit in plan.commits {
                output += "| \(Self.code(String(commit.commit.prefix(7)))) | \(Self.escape(commit.signatureText)) | \(Self.escape(commit.summary)) |\n"
            }
        }

        var shown = Set<Diagnostic>()
        for change in changes { shown.formUnion(change.diagnostics) }
        let sections = Self.diagnosticSections(plan, excluding: shown).filter { !$0.diagnostics.isEmpty }
        if !sections.isEmpty {
            output += "\n### Diagnostics\n\n| Revision | Location | Severity | Message |\n|---|---|---|---|\n"
            for section in sections {
                for diagnostic in section.diagnostics { output += Self.markdownRow(diagnostic, revision: section.revision) }
            }
        }
        return output
    }

    /// One model's `<details>` block: the action, the differences as a diff, notes, errors.
    static func markdownDetails(_ change: ModelChange, revision: String) -> String {
        var output = "<details>\n<summary><code>\(html(change.name))</code>: \(html(headline(change)))</summary>\n\n"
        if let path = change.path {
            output += "File: \(code(path))"
            if let previous = change.previousPath { output += " (moved from \(code(previous)))" }
            output += "\n\n"
        }
        for line in actionLines(change) { output += "- \(escape(line))\n" }
        for note in change.notes { output += "- Note: \(escape(note))\n" }
        if !change.differences.isEmpty {
            let lines = change.differences.map { "\($0.operation.symbol) \($0.summary)" }
            let fence = fence(for: lines)
            output += "\n\(fence)diff\n" + lines.joined(separator: "\n") + "\n\(fence)\n"
        }
        if !change.diagnostics.isEmpty {
            output += "\n| Revision | Location | Severity | Message |\n|---|---|---|---|\n"
            for diagnostic in change.diagnostics { output += markdownRow(diagnostic, revision: revision) }
        }
        return output + "\n</details>\n"
    }

    static func markdownRow(_ diagnostic: Diagnostic, revision: String) -> String {
        "| \(code(revision)) | \(code(location(diagnostic))) | \(diagnostic.severity.rawValue) | \(escape(diagnostic.message)) (\(code(diagnostic.code.rawValue))) |\n"
    }

    /// Backslash-escapes the punctuation Markdown (and a table cell) would interpret.
    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            if "\\`*_[]<>|#~".contains(character) { output.append("\\") }
            output.append(character)
        }
        return output.replacingAll("\n", with: " ")
    }

    /// An inline code span that survives backticks and pipes in the text.
    static func code(_ text: String) -> String {
        let body = text.replacingAll("|", with: "\\|").replacingAll("\n", with: " ")
        guard body.contains("`") else { return "`\(body)`" }
        return "`` \(body) ``"
    }

    /// Escapes text for HTML (the `<summary>` line).
    static func html(_ text: String) -> String {
        text.replacingAll("&", with: "&amp;").replacingAll("<", with: "&lt;").replacingAll(">", with: "&gt;")
    }

    /// A code fence longer than any run of backticks in the lines.
    static func fence(for lines: [String]) -> String {
        var longest = 0
        for line in lines {
            var run = 0
            for character in line {
                run = character == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }
}
