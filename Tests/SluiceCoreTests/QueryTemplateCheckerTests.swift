import SluiceCore
import Testing

/// ``QueryTemplateChecker`` on templates alone: what it accepts, what it refuses, and where
/// it says the problem is (the text at the reported offset).
@Suite(.timeLimit(.minutes(10))) struct QueryTemplateCheckerTests {
    /// One problem, with the template text from its offset, for readable expectations.
    struct Found: Equatable, CustomStringConvertible {
        var kind: QueryTemplateChecker.Kind
        var at: String
        var message: String
        var description: String { "\(kind) at «\(at)»: \(message)" }
    }

    static func problems(_ text: String) -> [Found] {
        let bytes = Array(text.utf8)
        return QueryTemplateChecker.check(QueryTemplate(text)).problems.map { problem in
            Found(
                kind: problem.kind, at: String(decoding: bytes[min(problem.offset, bytes.count)...].prefix(12), as: UTF8.self),
                message: problem.message)
        }
    }

    /// Templates that Sluice's docs and users write; each must pass (and, in
    /// PrometheusAgreementTests, is accepted by a real Prometheus once rendered).
    static let valid: [String] = [
        #"histogram_quantile(0.99, sum by (le) (rate(sluice_request_duration_seconds_bucket{model="{{model}}",version="{{version}}"}[{{window}}])))"#,
        #"sum(increase(sluice_request_errors_total{model="{{model}}",version="{{version}}"}[{{window}}])) / sum(increase(sluice_requests_total{model="{{model}}",version="{{version}}"}[{{window}}]))"#,
        #"sum(rate(http_requests_total{namespace='{{namespace}}', app="{{ model }}", version=~"{{version}}|{{stableVersion}}", code!~"5.."}[{{window}}]))"#,
        #"avg_over_time(up{job="x"}[{{window}}:30s] offset {{window}})"#,
        #"max_over_time(rate(x{version="{{version}}"}[1m])[{{window}}:])"#,
        #"sum(x{version="{{version}}"} offset -{{window}}) # the previous window"#,
        "sum by (version) (\n  rate(x{model=\"{{model}}\"}[{{window}}])\n)\n",
        #"scalar(vector(1)) + 0x1F * 1e3 - .5 ^ Inf"#,
        #"x{a=`raw \d+`, b="\x41\u00e9\U0001F600\101", c='it\'s'}"#,
        #"{__name__="x", version="{{version}}",}"#,
        #"x @ 1700000000 * on(le) group_left y unless ignoring(a) z"#,
        #"rate(x[1h30m]) > bool 2"#,
    ]

    @Test(arguments: valid)
    func validTemplatePasses(text: String) {
        #expect(Self.problems(text).isEmpty, "\(Self.problems(text))")
    }

    @Test func variablesAreThoseRendered() {
        let findings = QueryTemplateChecker.check(QueryTemplate(#"x{model="{{model}}"}[{{window}}] # {{version}}"#))
        #expect(findings.variables == [.model, .window])
        #expect(QueryTemplate(Self.valid[2]).variables == [.namespace, .model, .version, .stableVersion, .window])
    }

    @Test func unknownVariableSuggestsTheNearest() {
        #expect(Self.problems(#"x{version="{{verison}}"}"#) == [
            Found(kind: .unknownVariable, at: "{{verison}}\"", message: "'{{verison}}' is not a template variable; did you mean '{{version}}'?")
        ])
        #expect(Self.problems(#"rate(x{app="{{ target }}"}[{{interval}}])"#).map(\.message) == [
            "'{{target}}' is not a template variable; did you mean '{{model}}'?",
            "'{{interval}}' is not a template variable; did you mean '{{window}}'?",
        ])
        #expect(Self.problems(#"x{a="{{Model}}"}"#).map(\.message) == ["'{{Model}}' is not a template variable; did you mean '{{model}}'?"])
        #expect(Self.problems(#"x{a="{{args.service}}"}"#).map(\.message) == [
            "'{{args.service}}' is not a template variable; the variables are {{model}}, {{version}}, {{stableVersion}}, {{window}}, {{namespace}}"
        ])
    }

    @Test func unterminatedVariable() {
        #expect(Self.problems(#"x{a="{{model"}"#) == [
            Found(kind: .unterminatedVariable, at: "{{model\"}", message: "'{{' opens a template variable that is not closed with '}}' on its line")
        ])
        #expect(Self.problems("rate(x[{{window]) ").map(\.kind) == [.unterminatedVariable])
    }

    @Test func nameVariablesBelongInsideLiterals() {
        #expect(Self.problems(#"x{model={{model}}}"#) == [
            Found(
                kind: .variableOutsideLiteral, at: "{{model}}}",
                message: "{{model}} must be inside a \"…\" or '…' string literal, where its value is escaped, as in model=\"{{model}}\"")
        ])
        #expect(Self.problems("{{version}}_requests_total").map(\.kind) == [.variableOutsideLiteral])
        #expect(Self.problems("x{a=`{{model}}`}") == [
            Found(
                kind: .variableInRawString, at: "{{model}}`}",
                message: "{{model}} is inside a `…` raw string, which has no escapes, so its value could end the string; use a \"…\" literal")
        ])
        #expect(Self.problems("x # by {{model}}").map(\.kind) == [.variableInComment])
    }

    @Test func windowBelongsWherePromQLTakesADuration() {
        #expect(Self.problems(#"x{w="{{window}}"}"#).map(\.kind) == [.windowInLiteral])
        #expect(Self.problems("rate(x[5m]) * {{window}}") == [
            Found(
                kind: .windowMisplaced, at: "{{window}}",
                message: "{{window}} renders as a duration such as 5m, which PromQL takes only in a range [{{window}}], a subquery [{{window}}:] or after offset")
        ])
        #expect(Self.problems("rate(x[{{window}}m])").map(\.kind) == [.windowMisplaced])
        #expect(Self.problems("rate(x[1h{{window}}])").map(\.kind) == [.windowMisplaced])
        #expect(Self.problems("x{a={{window}}}").map(\.kind) == [.windowMisplaced])
        #expect(Self.problems("rate(x[5m]) * 5m") == [
            Found(
                kind: .misplacedDuration, at: "5m",
                message: "unexpected duration '5m': PromQL takes a duration only in a range [5m], a subquery or after offset")
        ])
    }

    @Test func bracketsBalanceAndNameTheOpener() {
        #expect(Self.problems(#"sum(rate(x[5m])"#) == [
            Found(kind: .unbalanced, at: "(rate(x[5m])", message: "this '(' is never closed with ')'")
        ])
        #expect(Self.problems("sum(x))") == [Found(kind: .unbalanced, at: ")", message: "this ')' closes no '('")])
        let mismatched = QueryTemplateChecker.check(QueryTemplate("sum(x]")).problems
        #expect(mismatched.map(\.kind) == [.unbalanced])
        #expect(mismatched.first?.offset == 5)
        #expect(mismatched.first?.related == .init(offset: 3, what: "the innermost open '('"))
        #expect(Self.problems(#"x{a="b""#) == [Found(kind: .unbalanced, at: "{a=\"b\"", message: "this '{' is never closed with '}'")])
        #expect(Self.problems("rate(x[5m)").map(\.kind) == [.unbalanced])
        #expect(Self.problems("x[5m").map(\.message) == ["this '[' is never closed with ']'"])
        #expect(Self.problems(#"x{{a="b"}}"#).map(\.kind) == [.unknownVariable])
    }

    @Test func literalsAndEscapes() {
        #expect(Self.problems(#"x{a="b}"#) == [
            Found(kind: .unterminatedString, at: "\"b}", message: "this \"…\" literal is not closed on its line; such a literal ends on the line it starts")
        ])
        #expect(Self.problems("x{a=\"b\n\"}").map(\.kind) == [.unterminatedString])
        #expect(Self.problems("x{a=`b}").map(\.kind) == [.unterminatedString])
        #expect(Self.problems(#"x{a="\q"}"#).map(\.message) == [
            "unknown escape sequence '\\q'; PromQL knows \\a \\b \\f \\n \\r \\t \\v \\\\, the literal's quote, \\x, \\u, \\U and octal"
        ])
        #expect(Self.problems(#"x{a="\'"}"#).first?.message.contains("this quote needs no backslash") == true)
        #expect(Self.problems(#"x{a="\x4"}"#).map(\.kind) == [.badEscape])
        #expect(Self.problems(#"x{a="\uD800"}"#).map(\.kind) == [.badEscape])
        #expect(Self.problems("x{a=\"\u{FFFD}\"}").map(\.kind) == [.badEscape])
    }

    @Test func lexerLevelMistakes() {
        #expect(Self.problems("sum(x);") == [
            Found(kind: .unexpectedCharacter, at: ";", message: "unexpected character ';' in the query; PromQL has no statements to separate")
        ])
        #expect(Self.problems("x{a=\"b\";}").map(\.kind) == [.unexpectedCharacter])
        #expect(Self.problems("x$").map(\.kind) == [.unexpectedCharacter])
        #expect(Self.problems("x =~ \"a\"").map(\.kind) == [.unexpectedCharacter])
        #expect(Self.problems("1_000").map(\.kind) == [.badNumber])
        #expect(Self.problems("x[5]").map(\.message) == ["'5' has no unit; a duration is written 5m, 30s or {{window}} (units ms, s, m, h, d, w, y)"])
        #expect(Self.problems("x[30m1h]").map(\.kind) == [.badNumber])
        #expect(Self.problems("x[1.5m]").map(\.kind) == [.badNumber])
        #expect(Self.problems("x[0s]").map(\.kind) == [.badNumber])
        #expect(Self.problems("x[5m:1]").map(\.kind) == [.badNumber])
        #expect(Self.problems("x[5m:1m:1m]").map(\.kind) == [.unexpectedCharacter])
        #expect(Self.problems(#"x{,a="b"}"#).map(\.kind) == [.badMatcher])
        #expect(Self.problems(#"x{a "b"}"#).map(\.message) == ["expected '=', '!=', '=~' or '!~' after the label name"])
        #expect(Self.problems(#"x{a=b}"#).map(\.message) == ["expected a quoted value after the operator, as in label=\"value\""])
    }

    @Test func rangesFollowSelectors() {
        #expect(Self.problems("(x)[5m]") == [
            Found(
                kind: .misplacedRange, at: "[5m]",
                message: "a range [5m] applies to a metric selector only; to take a range of an expression, make it a subquery: [5m:]")
        ])
        #expect(Self.problems("x[5m][1h:]").map(\.kind) == [.misplacedRange])
        #expect(Self.problems("x offset 5m [5m]").map(\.kind) == [.misplacedRange])
        #expect(Self.problems("1[5m:]").map(\.kind) == [.misplacedRange])
        #expect(Self.problems("rate(x[5m])[1h:5m]").isEmpty)
    }

    @Test func emptyAndOversizedQueries() {
        for text in ["", "   \n", "# only a comment"] {
            #expect(Self.problems(text).map(\.kind) == [.empty], "\(text.debugDescription)")
        }
        let long = "sum(" + String(repeating: "x + ", count: 2100) + "x)"
        #expect(Self.problems(long) == [
            Found(kind: .tooLong, at: "sum(x + x + ", message: "the query is \(long.utf8.count) bytes; a query template may have at most 8192")
        ])
    }

    @Test func variableProblemsAreAllReportedPastASyntaxError() {
        #expect(Self.problems(#"sum(x{a="{{modle}}"}; y{b="{{verison}}"}"#).map(\.kind) == [.unknownVariable, .unexpectedCharacter])
        #expect(Self.problems(#"x{a="{{modle}}", b="{{verison}}"}"#).map(\.kind) == [.unknownVariable, .unknownVariable])
    }

    /// No input makes the checker trap or loop: every prefix of every template, and bytes
    /// that break UTF-8 expectations.
    @Test func everyPrefixIsCheckedWithoutTrapping() {
        for text in Self.valid + [#"x{a="\u12"#, #"x{a="\"#, "{{", "{{}}", "x[", "x[:", "[", "0x", "1e", "`", "offset -"] {
            var prefix = ""
            for character in text {
                prefix.append(character)
                _ = QueryTemplateChecker.check(QueryTemplate(prefix))
            }
        }
    }
}
