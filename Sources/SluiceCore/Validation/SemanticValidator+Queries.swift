extension SemanticValidator {
    /// Checks the `query` of a `metric: prometheus` check or monitor with
    /// ``QueryTemplateChecker``, reporting each problem at its own line and column inside the
    /// YAML value; and that a ratio to stable can differ from the candidate's value.
    mutating func checkQuery(_ owner: YAMLNode, path: String, isAnalysis: Bool) {
        guard owner.enumeration("metric", as: Metric.self) == .prometheus, let node = owner["query"], let text = owner.string("query")
        else { return }
        let findings = QueryTemplateChecker.check(QueryTemplate(text))
        let map = ScalarSourceMap(source: source, node: node)
        let offsets = findings.problems.flatMap { [$0.offset] + ($0.related.map { [$0.offset] } ?? []) }
        let located = findings.problems.isEmpty ? [:] : map.locations(of: offsets)
        for problem in findings.problems {
            var message = problem.message
            if let related = problem.related {
                if let place = located[related.offset] {
                    message += "; \(related.what) is at line \(place.line), column \(place.column)"
                } else {
                    message += "; \(related.what) is at character \(character(related.offset, in: text)) of the query"
                }
            }
            let location: SourceLocation
            if let place = located[problem.offset] {
                location = place
            } else {
                location = node.location
                message += " (at character \(character(problem.offset, in: text)) of the query; this YAML value's form keeps its exact place from being shown)"
            }
            validator.report(location, .invalidValue, path + ".query", message)
        }
        guard isAnalysis, !findings.variables.contains(.version),
            !findings.problems.contains(where: { $0.kind == .unknownVariable })
        else { return }
        for field in ["maxRatioToStable", "minRatioToStable"] {
            guard let ratio = owner.entry(field), ratio.value.scalar?.value.number != nil else { continue }
            validator.report(
                ratio.key.location, .inconsistent, path + "." + field,
                "\(field) compares the candidate with the stable version by running the query again with {{version}} set to the stable version; this query has no {{version}}, so both runs give the same value: select the version, as in version=\"{{version}}\"")
        }
    }

    /// The 1-based character number of a UTF-8 offset into `text`.
    private func character(_ offset: Int, in text: String) -> Int {
        let utf8 = text.utf8
        let end = utf8.index(utf8.startIndex, offsetBy: min(offset, utf8.count))
        return text.unicodeScalars[..<end].count + 1
    }
}
