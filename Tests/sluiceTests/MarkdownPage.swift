import Foundation

/// A Markdown file of the repository as a reader following its links sees it: the links it
/// makes (outside code) and the anchors GitHub gives its headings.
struct MarkdownPage {
    /// One `[text](target)` link and the line it is on.
    struct Link {
        var line: Int
        var target: String

        /// Whether the target leaves the repository (`https:`, `mailto:`): not checked here.
        var isExternal: Bool {
            guard let colon = target.firstIndex(of: ":") else { return false }
            let scheme = target[..<colon]
            return !scheme.isEmpty && scheme.allSatisfy { $0.isLetter }
        }
    }

    /// The page's path relative to the package root (`docs/cli.md`).
    let path: String
    let links: [Link]
    let anchors: Set<String>
    /// The lines of the first fenced code block, without the fences.
    let firstCodeBlock: [String]

    init(path: String, text: String) {
        self.path = path
        var links: [Link] = []
        var seen: [String: Int] = [:]
        var anchors: Set<String> = []
        var inFence = false
        var codeBlocks: [[String]] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
                if inFence { codeBlocks.append([]) }
                continue
            }
            if inFence {
                codeBlocks[codeBlocks.count - 1].append(String(line))
                continue
            }
            if let heading = Self.headingText(line) {
                // GitHub numbers repeated headings: `usage`, `usage-1`, …
                let anchor = Self.anchor(of: heading)
                let count = seen[anchor, default: 0]
                seen[anchor] = count + 1
                anchors.insert(count == 0 ? anchor : "\(anchor)-\(count)")
            }
            links += Self.targets(in: Self.withoutCodeSpans(line)).map { Link(line: index + 1, target: $0) }
        }
        self.links = links
        self.anchors = anchors
        self.firstCodeBlock = codeBlocks.first ?? []
    }

    /// The anchor GitHub makes of a heading: lowercased, spaces to hyphens, punctuation dropped.
    static func anchor(of heading: String) -> String {
        String(heading.lowercased().compactMap { character -> Character? in
            if character == " " { return "-" }
            return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
        })
    }

    /// The text of an ATX heading (`## Title`), or nil for any other line.
    private static func headingText(_ line: Substring) -> String? {
        let hashes = line.prefix { $0 == "#" }
        guard (1...6).contains(hashes.count), line.dropFirst(hashes.count).first == " " else { return nil }
        return line.dropFirst(hashes.count + 1).trimmingCharacters(in: .whitespaces)
    }

    /// The line with every inline code span removed, so `` `a](b)` `` is not taken for a link.
    private static func withoutCodeSpans(_ line: Substring) -> Substring {
        var result = Substring()
        var inSpan = false
        for character in line {
            if character == "`" {
                inSpan.toggle()
            } else if !inSpan {
                result.append(character)
            }
        }
        return result
    }

    /// The targets of `](target)` and `](target "title")` in a line.
    private static func targets(in line: Substring) -> [String] {
        var targets: [String] = []
        var rest = line[...]
        while let open = rest.range(of: "](") {
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: ")") else { break }
            let inside = after[..<close]
            let target = inside.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            if !target.isEmpty { targets.append(target) }
            rest = after[close...]
        }
        return targets
    }
}
