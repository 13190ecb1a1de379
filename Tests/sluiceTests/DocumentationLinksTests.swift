import Foundation
import Testing

/// The README and the pages it links to: every relative link leads somewhere, and the README
/// opens with the two commands a new user runs.
@Suite("documentation links", .timeLimit(.minutes(10)))
struct DocumentationLinksTests {
    /// Why a link does not lead where it says.
    enum Broken: CustomStringConvertible {
        case noFile(String)
        case noHeading(page: String, anchor: String)

        var description: String {
            switch self {
            case .noFile(let path): "no file \(path)"
            case .noHeading(let page, let anchor): "\(page) has no heading with anchor #\(anchor)"
            }
        }
    }

    static let root = SluiceBinary.packageRoot

    /// README.md, SECURITY.md, examples/README.md, Benchmarks/README.md and every docs/*.md.
    static func pagePaths() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        return ["README.md", "SECURITY.md", "examples/README.md", "Benchmarks/README.md"] + docs
    }

    static func page(_ path: String) throws -> MarkdownPage {
        MarkdownPage(path: path, text: try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))
    }

    /// Where a link of `page` leads, as a path relative to the package root, and its anchor.
    static func resolve(_ target: String, from page: String) -> (path: String, anchor: String?) {
        let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = String(parts[0])
        let anchor = parts.count == 2 ? String(parts[1]) : nil
        guard !file.isEmpty else { return (page, anchor) }
        let base = URL(fileURLWithPath: "/" + page).deletingLastPathComponent()
        return (String(base.appendingPathComponent(file).standardized.path.dropFirst()), anchor)
    }

    /// Why `target` on `page` is broken, or nil when it leads to an existing file and heading.
    static func problem(_ target: String, on page: String) throws -> Broken? {
        let (path, anchor) = resolve(target, from: page)
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) else {
            return .noFile(path)
        }
        guard let anchor, path.hasSuffix(".md") else { return nil }
        return try Self.page(path).anchors.contains(anchor) ? nil : .noHeading(page: path, anchor: anchor)
    }

    @Test("every relative link in the README, SECURITY.md and docs/ leads to an existing file and heading")
    func relativeLinksResolve() throws {
        var checked = 0
        for path in try Self.pagePaths() {
            for link in try Self.page(path).links where !link.isExternal {
                checked += 1
                if let broken = try Self.problem(link.target, on: path) {
                    Issue.record("\(path):\(link.line): (\(link.target)): \(broken)")
                }
            }
        }
        #expect(checked > 50, "the pages link to each other")
    }

    @Test("the README indexes every page in docs/")
    func readmeIndexesEveryPage() throws {
        let readme = try Self.page("README.md")
        let linked = Set(readme.links.map { Self.resolve($0.target, from: "README.md").path })
        for path in try Self.pagePaths() where path.hasPrefix("docs/") {
            #expect(linked.contains(path), "README.md does not link \(path)")
        }
    }

    @Test("the README opens with exactly two commands: the quickstart, then the tests; and stays short")
    func readmeOpensWithTheTwoCommands() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(MarkdownPage(path: "README.md", text: text).firstCodeBlock == ["scripts/quickstart.sh", "scripts/test.sh"])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(lines <= 300, "README.md has \(lines) lines; reference material belongs in docs/")
        // The description before the commands is a few lines, not a walkthrough.
        let beforeCommands = text.components(separatedBy: "```sh")[0].split(separator: "\n").count
        #expect(beforeCommands <= 8, "\(beforeCommands) lines precede the two commands")
    }

    @Test("the link checker itself: GitHub anchors, code is not a link, broken links are named")
    func checkerCatchesWhatItShould() throws {
        #expect(MarkdownPage.anchor(of: "Planning a change: `sluice plan`") == "planning-a-change-sluice-plan")
        #expect(MarkdownPage.anchor(of: "Drift statistics (PSI, KS)") == "drift-statistics-psi-ks")
        let page = MarkdownPage(path: "docs/x.md", text: """
            # Usage
            ## Usage
            See [cli](cli.md#commands), `[not](a-link.md)` and [site](https://example.com "t").
            ```
            [inside](code.md)
            ```
            """)
        #expect(page.anchors == ["usage", "usage-1"])
        #expect(page.links.map(\.target) == ["cli.md#commands", "https://example.com"])
        #expect(page.links.map(\.isExternal) == [false, true])
        #expect(try Self.problem("cli.md#commands", on: "docs/x.md") == nil)
        #expect(try Self.problem("../README.md#tests", on: "docs/x.md") == nil)
        #expect(try Self.problem("cli.md#no-such-heading", on: "docs/x.md")?.description
            == "docs/cli.md has no heading with anchor #no-such-heading")
        #expect(try Self.problem("missing.md", on: "docs/x.md")?.description == "no file docs/missing.md")
    }
}
