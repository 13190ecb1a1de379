import Foundation
import SluiceCore
import Testing

/// The three plan formats: key lines, not whole snapshots (except one small text plan).
@Suite(.timeLimit(.minutes(10))) struct PlanRendererTests {
    typealias F = PlanFixtures

    /// A plan with one of most things: a canary, a deploy, a prune, a blocked model, an
    /// unchanged one, and an error at the base revision too.
    static let mixed: Plan = {
        let broken = F.iris(name: "broken").replacingOccurrences("runtime: python-v2", with: "runtime: python-v2\n  replicas: 3")
        let base = F.state(
            "abc123",
            [("fraud.yaml", F.fraud()), ("iris.yaml", F.iris()), ("old.yaml", F.iris(name: "old-model")),
             ("broken.yaml", F.iris(name: "broken")), ("weird.yaml", "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata: {name: weird}\nspec: {}\n")])
        let head = F.state(
            "def456",
            [("fraud.yaml", F.fraud(versions: F.v21v22, traffic: "{v2.1: 0, v2.2: 100}")), ("iris.yaml", F.iris()),
             ("new.yaml", F.iris(name: "new-model")), ("broken.yaml", broken)])
        return Planner().plan(from: base, to: head)
    }()

    @Test func smallTextSnapshot() {
        let plan = Planner().plan(from: nil, to: F.state("head", [("iris.yaml", F.iris())]))
        #expect(
            PlanRenderer(format: .text).render(plan) == """
                Sluice plan: nothing deployed → head

                + iris-classifier  (iris.yaml)
                    deploy at once to v1 100%; no steps, no analysis
                    + runtime: python-v2
                    + versions.v1: artifact models/iris-v1.json
                    + traffic.v1: 100

                Plan: 1 to deploy.

                """)
    }

    @Test func textGroupsPerModelWithActionFirst() throws {
        let text = PlanRenderer(format: .text).render(Self.mixed)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "Sluice plan: abc123 → def456")
        let fraud = try #require(lines.firstIndex(of: "~ fraud-detector  (fraud.yaml)"))
        #expect(lines[fraud + 1] == "    canary v2.2 against stable v2.1 in 4 steps: 10% → pause 5m → 50% → approval → 100%")
        #expect(lines[fraud + 2] == "    promotes after at least 5m of pauses and 1 approval")
        #expect(
            lines[fraud + 3]
                == "    analysis: 4 checks every 30s; a failing candidate is aborted within 1m (30s × 2); on abort: revert")
        #expect(lines[fraud + 4] == "    + versions.v2.2: artifact models/fraud-v2.2.json")
        #expect(lines[fraud + 5] == "    ~ traffic.v2.1: 100 → 0")
        #expect(lines[fraud + 6] == "    ~ traffic.v2.2: 0 → 100")
        #expect(lines.contains("+ new-model  (new.yaml)"))
        #expect(lines.contains("- old-model  (old.yaml)"))
        #expect(lines.contains("    prune: removed from git; its versions stop and /v2/models/old-model goes away"))
        let broken = try #require(lines.firstIndex(of: "! broken  (broken.yaml)"))
        #expect(lines[broken + 1].hasPrefix("    blocked: the manifest is invalid at def456; the model keeps its last good state (as at abc123)"))
        #expect(lines[broken + 2].hasPrefix("    broken.yaml:7:3: error: "))
        #expect(lines[broken + 2].hasSuffix("[unknown-field]"))
        // Unchanged models are counted, not listed.
        #expect(!text.contains("iris-classifier"))
        // The base revision's own errors are shown with their revision.
        #expect(lines.contains("Diagnostics at abc123 (base):"))
        #expect(lines.contains { $0.hasPrefix("  weird.yaml:4:1: error: ") })
        #expect(lines.dropLast().last == "Plan: 1 to deploy, 1 to canary, 2 to prune, 1 blocked (1 unchanged).")
    }

    @Test func textCanListUnchangedModels() {
        let text = PlanRenderer(format: .text, includeUnchanged: true).render(Self.mixed)
        #expect(text.contains("\n  iris-classifier  (iris.yaml)\n    no changes\n"))
    }

    @Test func textShowsTheRefusal() {
        let plan = Planner().plan(from: F.state("a", [("iris.yaml", F.iris())]), to: F.state("b", []))
        let text = PlanRenderer(format: .text).render(plan)
        #expect(text.contains("- iris-classifier  (iris.yaml)\n    not pruned: b declares no models at all"))
        #expect(text.contains("\nPruning refused: b declares no models at all"))
        #expect(text.hasSuffix("Plan: 1 not pruned.\n"))
    }

    /// The header says what was planned, notes follow it; JSON adds `subject` and `notes`
    /// after the keys it always had, which keep their order and meaning.
    @Test func subjectAndNotesNameWhatWasPlanned() throws {
        var plan = Self.mixed
        plan.subject = PlanSubject(target: .commit(reference: "HEAD"), base: .firstParent, directory: "manifests")
        plan.notes = ["the working tree has uncommitted changes"]
        let lines = PlanRenderer(format: .text).render(plan).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.prefix(3) == ["Sluice plan: commit def456 (HEAD) against its first parent abc123", "note: the working tree has uncommitted changes", ""])
        plan.subject = PlanSubject(target: .commit(reference: "v2"), base: .reference("main"))
        #expect(PlanRenderer(format: .text).render(plan).hasPrefix("Sluice plan: commit def456 (v2) against abc123 (main)\n"))
        plan.subject = PlanSubject(target: .commit(reference: "def4"), base: .reference("abc123"))
        #expect(PlanRenderer(format: .text).render(plan).hasPrefix("Sluice plan: commit def456 against abc123\n"))

        var tree = Planner().plan(from: F.state("abc123", [("iris.yaml", F.iris())]), to: F.state("working tree", [("iris.yaml", F.iris())]))
        tree.subject = PlanSubject(target: .workingTree, base: .head, directory: "manifests")
        #expect(PlanRenderer(format: .text).render(tree).hasPrefix("Sluice plan: working tree (manifests/) against HEAD abc123\n"))
        let markdown = PlanRenderer(format: .markdown).render(tree)
        #expect(markdown.hasPrefix("## Sluice plan: `abc123` → `working tree`\n\nPlanned: working tree (manifests/) against HEAD abc123.\n\n"), "\(markdown)")

        let json = PlanRenderer(format: .json).render(tree)
        #expect(json.hasPrefix("{\n  \"from\": \"abc123\",\n  \"to\": \"working tree\",\n  \"hasChanges\": false,"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let subject = try #require(root["subject"] as? [String: Any])
        #expect(subject["target"] as? String == "workingTree")
        #expect(subject["targetReference"] is NSNull)
        #expect(subject["base"] as? String == "head")
        #expect(subject["description"] as? String == "working tree (manifests/) against HEAD abc123")
        #expect(root["notes"] as? [String] == [])
        let untold = try #require(try JSONSerialization.jsonObject(with: Data(PlanRenderer(format: .json).render(Self.mixed).utf8)) as? [String: Any])
        #expect(untold["subject"] is NSNull)
    }

    @Test func jsonIsStableAndMachineReadable() throws {
        let output = PlanRenderer(format: .json).render(Self.mixed)
        #expect(output == PlanRenderer(format: .json).render(Self.mixed))
        #expect(output.hasPrefix("{\n  \"from\": \"abc123\",\n  \"to\": \"def456\",\n  \"hasChanges\": true,"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(root["toHasErrors"] as? Bool == true)
        #expect(root["refusal"] is NSNull)
        #expect(root["summary"] as? String == "Plan: 1 to deploy, 1 to canary, 2 to prune, 1 blocked (1 unchanged).")
        let counts = try #require(root["counts"] as? [String: Int])
        #expect(counts == ["deploy": 1, "canary": 1, "switch": 0, "fastRollback": 0, "promote": 0, "update": 0, "prune": 2, "blocked": 1, "kept": 0, "none": 1])

        let models = try #require(root["models"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["broken", "fraud-detector", "iris-classifier", "new-model", "old-model", "weird"])
        let fraud = try #require(models.first { $0["name"] as? String == "fraud-detector" })
        #expect(fraud["change"] as? String == "changed")
        #expect(fraud["action"] as? String == "canary")
        #expect((fraud["toDigest"] as? String)?.hasPrefix("sha256:") == true)
        let canary = try #require(fraud["canary"] as? [String: Any])
        #expect(canary["candidate"] as? String == "v2.2")
        #expect(canary["stepCount"] as? Int == 4)
        #expect(canary["minimumTimeToPromoteSeconds"] as? Int == 300)
        #expect(canary["worstCaseTimeToAbortSeconds"] as? Int == 60)
        #expect(canary["worstCaseTimeToAbort"] as? String == "1m")
        let steps = try #require(canary["steps"] as? [[String: Any]])
        #expect(steps.count == 4)
        #expect(steps[1]["pause"] as? String == "5m")
        let differences = try #require(fraud["differences"] as? [[String: Any]])
        #expect(differences.count == 3)
        #expect(differences[1]["op"] as? String == "changed")
        #expect(differences[1]["field"] as? String == "traffic.v2.1")
        #expect(differences[1]["from"] as? String == "100")
        #expect(differences[1]["to"] as? String == "0")

        let iris = try #require(models.first { $0["name"] as? String == "iris-classifier" })
        #expect(iris["action"] as? String == "none")
        #expect(iris["fromDigest"] as? String == iris["toDigest"] as? String)

        let broken = try #require(models.first { $0["name"] as? String == "broken" })
        #expect(broken["action"] as? String == "blocked")
        #expect((broken["reason"] as? String)?.contains("last good state") == true)
        let brokenDiagnostics = try #require(broken["diagnostics"] as? [[String: Any]])
        #expect(brokenDiagnostics.first?["revision"] as? String == "def456")
        #expect(brokenDiagnostics.first?["line"] as? Int == 7)

        let diagnostics = try #require(root["diagnostics"] as? [[String: Any]])
        #expect(Set(diagnostics.compactMap { $0["revision"] as? String }) == ["abc123", "def456"])
        #expect(diagnostics.contains { $0["file"] as? String == "weird.yaml" && $0["revision"] as? String == "abc123" })
    }

    @Test func markdownSuitsAPullRequestComment() {
        let markdown = PlanRenderer(format: .markdown).render(Self.mixed)
        #expect(markdown.hasPrefix("## Sluice plan: `abc123` → `def456`\n\n**Plan: 1 to deploy, 1 to canary, 2 to prune, 1 blocked (1 unchanged).**\n"))
        #expect(markdown.contains("> [!CAUTION]\n> `def456` has 1 error."))
        #expect(markdown.contains("| | Model | Change | Action |\n|---|---|---|---|\n"))
        #expect(markdown.contains("| `~` | `fraud-detector` | changed | canary v2.2 in 4 steps |\n"))
        #expect(markdown.contains("| `!` | `broken` | invalid | blocked: keeps its last good state |\n"))
        #expect(markdown.contains("| `-` | `old-model` | removed | prune |\n"))
        #expect(!markdown.contains("iris-classifier"))
        #expect(markdown.contains("<details>\n<summary><code>fraud-detector</code>: canary v2.2 in 4 steps</summary>\n"))
        #expect(markdown.contains("```diff\n+ versions.v2.2: artifact models/fraud-v2.2.json\n~ traffic.v2.1: 100 → 0\n~ traffic.v2.2: 0 → 100\n```\n"))
        #expect(markdown.contains("- analysis: 4 checks every 30s; a failing candidate is aborted within 1m (30s × 2); on abort: revert\n"))
        #expect(markdown.contains("| `def456` | `broken.yaml:7:3` | error | "))
        #expect(markdown.contains("### Diagnostics"))
        #expect(markdown.contains("| `abc123` | `weird.yaml:4:1` | error | "))
        #expect(markdown.filter { $0 == "\n" }.count > 20)
        #expect(markdown.components(separatedBy: "<details>").count - 1 == 5)
        #expect(markdown.components(separatedBy: "</details>").count - 1 == 5)
    }

    @Test func markdownEscapesWhatWouldBreakATable() {
        let change = ModelChange(name: "m", kind: .removed, action: .kept(reason: "a|b <c> *d*"))
        let markdown = PlanRenderer(format: .markdown).render(Plan(fromRevision: "a", toRevision: "b", changes: [change]))
        #expect(markdown.contains("| `-` | `m` | removed | not pruned |\n"))
        #expect(markdown.contains("- not pruned: a\\|b \\<c\\> \\*d\\*\n"))
        #expect(markdown.contains("<summary><code>m</code>: not pruned</summary>"))
    }
}
