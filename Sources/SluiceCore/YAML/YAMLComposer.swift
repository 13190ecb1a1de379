internal import CYaml

/// One document of a YAML stream.
public struct YAMLDocument: Sendable {
    /// The root node; a document with no content has a null scalar root.
    public let root: YAMLNode
    /// Where the document starts (its `---`, or its first node).
    public let location: SourceLocation
}

/// The result of composing a file: the documents that were read whole, and the problems.
public struct YAMLStream: Sendable {
    /// Documents composed completely, in order.
    public var documents: [YAMLDocument]
    /// Syntax errors, duplicate keys and limit violations.
    public var diagnostics: [Diagnostic]
    /// How many nodes the file's aliases stand for, over all its documents: what validating
    /// the documents costs beyond their own size.
    public var aliasNodes = 0
    /// Where the file's first alias is, to point at when a shared budget refuses the file.
    public var firstAlias: SourceLocation?
    /// Problems found past ``YAMLLimits/maxDiagnosticsPerFile``, counted only (all errors).
    public var suppressedDiagnostics = 0
}

/// Builds position-carrying node trees from libyaml's event stream (the parser Yams bundles).
///
/// It composes itself rather than through `Yams.compose` because validation needs what that
/// API does not give: every duplicate key reported with both positions (not only the first),
/// aliases shared rather than copied so that an expansion cap can be checked per alias in
/// O(1), and a nesting cap checked before recursing, so no input can exhaust the stack.
public struct YAMLComposer: Sendable {
    /// The limits in force.
    public var limits: YAMLLimits

    /// Creates a composer with the given limits.
    public init(limits: YAMLLimits = .default) {
        self.limits = limits
    }

    /// Composes every document of `bytes`, reporting problems against `file`.
    public func compose(_ bytes: [UInt8], file: String) -> YAMLStream {
        if bytes.count > limits.maxFileBytes {
            return YAMLStream(documents: [], diagnostics: [limits.oversizedDiagnostic(file: file, size: bytes.count)])
        }
        // libyaml counts a UTF-8 byte-order mark as a column; editors do not show it.
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        return bytes.withUnsafeBufferPointer { whole in
            var session = ComposeSession(file: file, limits: limits)
            return session.run(UnsafeBufferPointer(rebasing: whole[start...]))
        }
    }
}

/// Raised inside a compose session to stop reading a file.
private struct StopComposing: Error {}

/// The mutable state of composing one file.
private struct ComposeSession {
    let file: String
    let limits: YAMLLimits
    var parser = yaml_parser_t()
    var anchors: [String: YAMLNode] = [:]
    var expandedNodes = 0
    /// Nodes added by aliases in the whole file (not reset per document).
    var aliasNodes = 0
    var firstAlias: SourceLocation?
    var suppressedDiagnostics = 0
    var diagnostics: [Diagnostic] = []
    /// The input, to look at the character a syntax error points to.
    var input = UnsafeBufferPointer<UInt8>(start: nil, count: 0)

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) -> YAMLStream {
        guard yaml_parser_initialize(&parser) == 1 else {
            report(.start, .limit, "could not allocate a YAML parser")
            return YAMLStream(documents: [], diagnostics: diagnostics)
        }
        defer { yaml_parser_delete(&parser) }
        input = buffer
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        var documents: [YAMLDocument] = []
        do {
            var event = try next()  // stream start
            while true {
                event.delete()
                event = try next()
                if event.type == YAML_STREAM_END_EVENT { event.delete(); break }
                let start = event.start
                event.delete()
                anchors.removeAll(keepingCapacity: true)
                expandedNodes = 0
                let root = try composeNode(try next(), depth: 0)
                documents.append(YAMLDocument(root: root, location: start))
                event = try next()  // document end
            }
        } catch {
            // A syntax error or a limit ends the file; what was found so far is kept.
        }
        return YAMLStream(
            documents: documents, diagnostics: diagnostics, aliasNodes: aliasNodes, firstAlias: firstAlias,
            suppressedDiagnostics: suppressedDiagnostics)
    }

    mutating func report(_ location: SourceLocation, _ code: DiagnosticCode, _ message: String) {
        // Past the per-file cap only the count is kept; a limit is always said.
        guard code == .limit || diagnostics.count < limits.maxDiagnosticsPerFile + 1 else {
            suppressedDiagnostics += 1
            return
        }
        diagnostics.append(Diagnostic(file: file, location: location, code: code, message: message))
    }

    /// Reads the next event, turning a libyaml error into a diagnostic at the problem's mark.
    mutating func next() throws -> ParsedEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let mark = parser.problem_mark
            let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
            if problem.hasPrefix("Maximum nesting level reached") {
                // libyaml's own cap (1000 levels) counts the nesting it has scanned ahead, so on a
                // long line of `[[[[…` it fires at the first bracket, before ours is reached.
                report(SourceLocation(mark), .limit, depthLimitMessage(min(limits.maxDepth, 1000)))
                throw StopComposing()
            }
            var message = problem
            if let context = parser.context.map({ String(cString: $0) }) {
                message += " (\(context) at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
            }
            if let hint = hint(for: problem, at: character(at: Int(mark.index))) { message += "; " + hint }
            report(SourceLocation(mark), .syntax, "YAML syntax error: \(message)")
            throw StopComposing()
        }
        return ParsedEvent(raw: event)
    }

    /// Plain words for libyaml problems that leave users guessing what to change, most of
    /// which come from indentation: a tab, or a line indented unlike its neighbours.
    func hint(for problem: String, at character: UInt8?) -> String? {
        if character == UInt8(ascii: "\t") {
            return problem.contains("tab") ? "YAML indents with spaces only" : "this is a tab; YAML indents with spaces only"
        }
        switch problem {
        case "mapping values are not allowed in this context":
            return "check this line's indentation against the key above it, or quote a value that contains ': '"
        case "did not find expected key", "did not find expected '-' indicator":
            return "check this line's indentation: the keys of a mapping, and the items of a list, line up"
        default:
            return nil
        }
    }

    /// The first byte of the character at a libyaml mark's index, which counts characters
    /// (UTF-8 sequences), not bytes.
    func character(at index: Int) -> UInt8? {
        var characters = 0
        for byte in input where byte & 0xC0 != 0x80 {
            if characters == index { return byte }
            characters += 1
        }
        return nil
    }

    mutating func composeNode(_ event: ParsedEvent, depth: Int) throws -> YAMLNode {
        var event = event
        defer { event.delete() }
        let location = event.start
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = event.string(event.raw.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                report(location, .syntax, "alias '*\(name)' refers to no anchor defined before it")
                throw StopComposing()
            }
            expandedNodes += target.expandedSize
            aliasNodes += target.expandedSize
            if firstAlias == nil { firstAlias = location }
            try checkExpansion(at: location, alias: name)
            try checkAliasBudget(at: location, alias: name)
            return target
        case YAML_SCALAR_EVENT:
            let scalar = event.raw.data.scalar
            let text = event.string(scalar.value, length: scalar.length) ?? ""
            let tag = event.string(scalar.tag)
            try checkTag(tag, at: location)
            let node = YAMLNode(.scalar(YAMLScalar(text: text, style: YAMLScalar.Style(scalar.style), tag: tag)), at: location)
            try register(node, anchor: event.string(scalar.anchor))
            return node
        case YAML_SEQUENCE_START_EVENT:
            try checkDepth(depth, at: location)
            try checkTag(event.string(event.raw.data.sequence_start.tag), at: location)
            let anchor = event.string(event.raw.data.sequence_start.anchor)
            var items: [YAMLNode] = []
            while true {
                var child = try next()
                if child.type == YAML_SEQUENCE_END_EVENT { child.delete(); break }
                items.append(try composeNode(child, depth: depth + 1))
            }
            let node = YAMLNode(.sequence(items), at: location)
            try register(node, anchor: anchor)
            return node
        case YAML_MAPPING_START_EVENT:
            try checkDepth(depth, at: location)
            try checkTag(event.string(event.raw.data.mapping_start.tag), at: location)
            let anchor = event.string(event.raw.data.mapping_start.anchor)
            var builder = MappingBuilder()
            while true {
                var keyEvent = try next()
                if keyEvent.type == YAML_MAPPING_END_EVENT { keyEvent.delete(); break }
                let key = try composeNode(keyEvent, depth: depth + 1)
                let value = try composeNode(try next(), depth: depth + 1)
                builder.add(YAMLEntry(key: key, value: value), session: &self)
            }
            let node = YAMLNode(.mapping(builder.finish()), at: location)
            try register(node, anchor: anchor)
            return node
        default:
            report(location, .syntax, "YAML syntax error: unexpected event")
            throw StopComposing()
        }
    }

    mutating func register(_ node: YAMLNode, anchor: String?) throws {
        expandedNodes += 1
        if let anchor { anchors[anchor] = node }
        try checkExpansion(at: node.location, alias: nil)
    }

    mutating func checkExpansion(at location: SourceLocation, alias: String?) throws {
        guard expandedNodes > limits.maxExpandedNodes else { return }
        if let alias {
            report(
                location, .limit,
                "alias '*\(alias)' expands the document beyond \(limits.maxExpandedNodes) nodes; anchors and aliases may not multiply content (a \"billion laughs\" file)"
            )
        } else {
            report(location, .limit, "the document has more than \(limits.maxExpandedNodes) nodes (aliases expanded); a manifest needs far fewer")
        }
        throw StopComposing()
    }

    /// The per-file budget: documents each under their own cap must not add up either.
    mutating func checkAliasBudget(at location: SourceLocation, alias: String) throws {
        guard aliasNodes > limits.maxAliasNodes else { return }
        report(
            location, .limit,
            "alias '*\(alias)' brings the nodes this file's aliases stand for beyond \(limits.maxAliasNodes) (over all its documents); anchors and aliases may not multiply content (a \"billion laughs\" file)"
        )
        throw StopComposing()
    }

    mutating func checkDepth(_ depth: Int, at location: SourceLocation) throws {
        guard depth >= limits.maxDepth else { return }
        report(location, .limit, depthLimitMessage(limits.maxDepth))
        throw StopComposing()
    }

    func depthLimitMessage(_ depth: Int) -> String {
        "nesting is deeper than \(depth) levels; a manifest needs far fewer"
    }

    mutating func checkTag(_ tag: String?, at location: SourceLocation) throws {
        guard let tag, !tag.hasPrefix("tag:yaml.org,2002:") else { return }
        report(location, .syntax, "unsupported YAML tag '\(tag)'; manifests use plain YAML without application tags")
    }
}

/// Collects a mapping's entries: reports duplicate keys with both positions (the first one
/// wins) and applies YAML merge keys (`<<: *defaults`), whose entries never override explicit ones.
private struct MappingBuilder {
    var entries: [YAMLEntry] = []
    var firstSeen: [String: SourceLocation] = [:]
    var merged: [YAMLEntry] = []

    mutating func add(_ entry: YAMLEntry, session: inout ComposeSession) {
        if let key = entry.key.scalar, key.style == .plain, key.text == "<<" {
            collectMerge(entry.value, session: &session)
            return
        }
        if let text = entry.key.scalar?.text {
            if let first = firstSeen[text] {
                session.report(
                    entry.key.location, .duplicateKey,
                    "duplicate key '\(text)' (first defined at line \(first.line), column \(first.column))")
                return
            }
            firstSeen[text] = entry.key.location
        }
        entries.append(entry)
    }

    mutating func collectMerge(_ value: YAMLNode, session: inout ComposeSession) {
        switch value.content {
        case .mapping(let source):
            merged.append(contentsOf: source)
        case .sequence(let sources):
            for source in sources {
                guard let sourceEntries = source.entries else {
                    session.report(source.location, .wrongType, "a merge key '<<' takes mappings, found \(source.kindDescription)")
                    continue
                }
                merged.append(contentsOf: sourceEntries)
            }
        case .scalar:
            session.report(value.location, .wrongType, "a merge key '<<' takes a mapping or a list of mappings, found \(value.kindDescription)")
        }
    }

    mutating func finish() -> [YAMLEntry] {
        for entry in merged {
            guard let text = entry.key.scalar?.text, firstSeen[text] == nil else { continue }
            firstSeen[text] = entry.key.location
            entries.append(entry)
        }
        return entries
    }
}

/// A libyaml event that must be deleted exactly once.
private struct ParsedEvent {
    var raw: yaml_event_t
    var deleted = false

    var type: yaml_event_type_t { raw.type }
    var start: SourceLocation { SourceLocation(raw.start_mark) }

    mutating func delete() {
        guard !deleted else { return }
        yaml_event_delete(&raw)
        deleted = true
    }

    func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String? {
        guard let pointer else { return nil }
        // Scalars may hold NUL characters, so the length libyaml gives is used, not strlen.
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}

extension SourceLocation {
    /// Converts libyaml's 0-based mark.
    fileprivate init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

extension YAMLScalar.Style {
    fileprivate init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}
