import SluiceCore
import Testing

/// ``QueryTemplate/render(_:)``: values stay inside the literal they are written in, whatever
/// they hold. PrometheusAgreementTests runs the same renderings through a real Prometheus.
@Suite(.timeLimit(.minutes(10))) struct QueryTemplateRenderTests {
    static func values(model: String = "fraud", version: String = "v2", window: Duration = .seconds(300)) -> QueryTemplate.Values {
        QueryTemplate.Values(model: model, version: version, stableVersion: "v1", window: window, namespace: "prod")
    }

    @Test func plainValuesAndTheWindow() {
        let template = QueryTemplate(#"rate(x{model="{{model}}",version='{{ version }}',ns="{{namespace}}",s="{{stableVersion}}"}[{{window}}])"#)
        #expect(template.render(Self.values(window: .seconds(5400))) == #"rate(x{model="fraud",version='v2',ns="prod",s="v1"}[1h30m])"#)
    }

    @Test func hostileValuesAreEscapedForTheirLiteral() {
        let hostile = "\"} or vector(1) #"
        #expect(QueryTemplate(#"x{model="{{model}}"}"#).render(Self.values(model: hostile)) == #"x{model="\"} or vector(1) #"}"#)
        #expect(QueryTemplate("x{model='{{model}}'}").render(Self.values(model: "'} or vector(1) #")) == #"x{model='\'} or vector(1) #'}"#)
        // The other quote is left alone: PromQL refuses \' in "…" and \" in '…'.
        #expect(QueryTemplate(#"x{model="{{model}}"}"#).render(Self.values(model: "it's")) == #"x{model="it's"}"#)
        #expect(QueryTemplate("x{model='{{model}}'}").render(Self.values(model: "a\"b")) == #"x{model='a"b'}"#)
        #expect(QueryTemplate(#"x{model="{{model}}"}"#).render(Self.values(model: "a\\b\nc\rd\te\u{7}\u{7F}\u{FFFD}")) == #"x{model="a\\b\nc\rd\te\x07\x7f\ufffd"}"#)
    }

    @Test func regexMatcherValuesMatchOnlyThemselves() {
        let template = QueryTemplate(#"x{version=~"{{version}}|{{stableVersion}}", model!~ '{{model}}'}"#)
        #expect(template.render(Self.values(model: "a+b", version: "v1.2")) == #"x{version=~"v1\\.2|v1", model!~ 'a\\+b'}"#)
    }

    @Test func aQuoteFollowedByACombiningMarkStillOpensALiteral() {
        // As Prometheus reads runes: `"` then U+0301 is a quote and then content.
        let template = QueryTemplate("x{a=\"\u{301}{{model}}\"}")
        #expect(template.render(Self.values(model: "\"} or vector(1) #")) == "x{a=\"\u{301}\\\"} or vector(1) #\"}")
    }

    @Test func refusedPlacementsStillRenderHarmlessly() {
        // Outside literals a name becomes a literal; in a raw string it loses its backticks;
        // in a comment it is not rendered.
        #expect(QueryTemplate("x{model={{model}}}").render(Self.values(model: "a\"b")) == #"x{model="a\"b"}"#)
        #expect(QueryTemplate("x{model=`{{model}}`}").render(Self.values(model: "a`} or vector(1) #")) == "x{model=`a} or vector(1) #`}")
        #expect(QueryTemplate("x # {{model}}\n+ y{m=\"{{model}}\"}").render(Self.values()) == "x # {{model}}\n+ y{m=\"fraud\"}")
    }

    @Test func unknownAndUnterminatedPlaceholdersAreLeftAsWritten() {
        #expect(QueryTemplate(#"x{a="{{verison}}", b="{{model"}"#).render(Self.values()) == #"x{a="{{verison}}", b="{{model"}"#)
    }
}
