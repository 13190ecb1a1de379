import SluiceCore
import Testing

/// Random query templates, written into a manifest as double-quoted (with escapes),
/// single-quoted and literal block values: every problem the checker finds is reported at
/// the very character it concerns, never at the value's start for want of a mapping.
@Suite(.timeLimit(.minutes(10))) struct QueryPositionPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure is reproducible.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    static let pieces = [
        "x", "sum", "{", "}", "(", ")", "[", "]", "\"", "'", "\\", " ", "=", "=~", ",", ":", "5m", "0", "{{window}}",
        "{{model}}", "{{verison}}", "{{", "é", ";", "#", "\t", "`", "offset", "a=\"b\"", "\\x41",
    ]

    enum Style: CaseIterable { case doubleQuoted, singleQuoted, literal }

    /// The query as a YAML value in `style`, starting at column 18 of its line.
    static func written(_ query: String, _ style: Style) -> String {
        switch style {
        case .doubleQuoted:
            var text = "\""
            for scalar in query.unicodeScalars {
                switch scalar {
                case "\\": text += "\\\\"
                case "\"": text += "\\\""
                case "\t": text += "\\t"
                case "\n": text += "\\n"
                case "é": text += "\\u00e9"
                default: text.unicodeScalars.append(scalar)
                }
            }
            return text + "\""
        case .singleQuoted:
            return "'" + query.replacingAll("'", with: "''") + "'"
        case .literal:
            return "|-\n" + query.split(separator: "\n", omittingEmptySubsequences: false).map { "            " + $0 }.joined(separator: "\n")
        }
    }

    @Test(arguments: Style.allCases)
    func everyProblemIsReportedAtItsCharacter(style: Style) {
        var generator = Generator(state: 2026)
        var checked = 0
        for _ in 0..<400 {
            var query = "x"
            for _ in 0..<(1 + generator.next(12)) {
                query += Self.pieces[generator.next(Self.pieces.count)]
                if style == .literal, generator.next(6) == 0 { query += "\n" }
            }
            if style == .literal { query = query.split(separator: "\n").map { $0.trimmingTrailingSpaces() }.joined(separator: "\n") }
            let value = Self.written(query, style)
            let text = PrometheusManifestTests.manifest(checks: "        - metric: prometheus\n          name: p\n          query: " + value + "\n          max: 1")
            let file = ManifestValidator().validate(bytes: Array(text.utf8), path: "m.yaml")
            let expected = QueryTemplateChecker.check(QueryTemplate(query)).problems
            let reported = file.diagnostics.filter { $0.fieldPath.hasSuffix(".query") }
            #expect(reported.count == expected.count, "\(value): \(file.diagnostics.map(\.message))")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
            let queryBytes = Array(query.utf8)
            for (diagnostic, problem) in zip(reported.sorted { $0.location < $1.location }, expected) {
                #expect(!diagnostic.message.contains("keeps its exact place"), "\(value): \(diagnostic.message)")
                let line = lines[diagnostic.location.line - 1]
                let written = line[diagnostic.location.column - 1]
                let meant = String(decoding: queryBytes[problem.offset...], as: UTF8.self).unicodeScalars.first
                // The character itself, or the start of its escape (`\"`, `''`).
                let escapes: Set<Unicode.Scalar> = style == .doubleQuoted ? ["\\"] : style == .singleQuoted ? ["'"] : []
                #expect(written == meant || escapes.contains(written), "\(value): \(diagnostic.message) at \(diagnostic.location)")
                checked += 1
            }
        }
        #expect(checked > 200)
    }
}

extension Substring {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
