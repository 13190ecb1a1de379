/// Fields a responder or the gateway sets itself, written after any copied fields: each name a
/// literal, each value checked once as it is added (one with a CR or LF, which would end the
/// line early, is left out). The writers copy them as they are: no `HTTPHeaders` to build and
/// walk twice, and no second check of each name and value.
///
/// Written in this order: the ``PreparedFieldLines`` given, the request id, then the text
/// fields in the order added. The gateway sets at most two text fields a request, kept inline
/// (an array of fields cost each request two allocations, one for its fields to the model
/// server and one for its answer's: Benchmarks/README.md, "Hot path, slice 54"); more go to
/// an array.
///
/// Not copyable: each set of fields is built once and moved into the request or answer that
/// writes it. A copy of one (its strings and optionals retained, the original then destroyed)
/// cost ~200 instructions at each hand-over, twice a proxied request (Benchmarks/README.md,
/// "Hot path, slice 60").
package struct OwnFields: ~Copyable, Sendable {
    /// A text field. A struct, not a tuple: tuples are copied and destroyed through the
    /// runtime's generic tuple witnesses (~60 instructions a field).
    private struct Field {
        let name: StaticString
        let value: String
    }

    /// A request id's field, written as its 32 hex digits (no `String` made for it).
    private struct IDField {
        let name: StaticString
        let id: RequestID
    }

    private var prepared: PreparedFieldLines?
    private var idField: IDField?
    private var first: Field?
    private var second: Field?
    private var more: [Field] = []

    /// No fields.
    package init() {}

    /// No fields, and lines prepared once (the version's `x-sluice-model` and
    /// `x-sluice-version`) to be written first.
    package init(prepared: PreparedFieldLines) {
        self.prepared = prepared
    }

    /// Adds `name: value` unless `value` holds a CR or LF. `name` is a lower-case token the
    /// writers do not set themselves (not a framing name, not `host`).
    package mutating func add(_ name: StaticString, _ value: String) {
        assert(Self.isOwnName(name), "\(name) is not a lower-case token the writers leave to the caller")
        guard !HTTP1Syntax.hasLineBreak(value) else { return }
        let field = Field(name: name, value: value)
        if first == nil {
            first = field
        } else if second == nil {
            second = field
        } else {
            more.append(field)
        }
    }

    /// Sets `name: id`, the id as its 32 hex digits, written after the prepared lines and
    /// before the text fields; there is one such field (a second replaces the first). `name`
    /// as for a text value.
    package mutating func add(_ name: StaticString, _ id: RequestID) {
        assert(Self.isOwnName(name), "\(name) is not a lower-case token the writers leave to the caller")
        idField = IDField(name: name, id: id)
    }

    /// The number of fields (prepared lines not counted).
    package var count: Int {
        (idField == nil ? 0 : 1) + (first == nil ? 0 : 1) + (second == nil ? 0 : 1) + more.count
    }

    /// The most bytes ``write(to:)`` writes.
    var maximumBytes: Int {
        var total = prepared?.bytes.count ?? 0
        if let idField { total += idField.name.utf8CodeUnitCount + RequestID.digits + 4 }
        if let first { total += first.name.utf8CodeUnitCount + first.value.utf8.count + 4 }
        if let second { total += second.name.utf8CodeUnitCount + second.value.utf8.count + 4 }
        for field in more { total += field.name.utf8CodeUnitCount + field.value.utf8.count + 4 }
        return total
    }

    /// Writes the prepared lines, then each field `name: value` CRLF.
    func write(to head: inout HeadBytesWriter) {
        if let prepared { prepared.bytes.withUnsafeBytes { head.append($0) } }
        if let idField {
            head.append(idField.name)
            head.append(": ")
            head.append(idField.id)
            head.append("\r\n")
        }
        guard let first else { return }
        Self.write(first, to: &head)
        guard let second else { return }
        Self.write(second, to: &head)
        for field in more { Self.write(field, to: &head) }
    }

    private static func write(_ field: Field, to head: inout HeadBytesWriter) {
        head.append(field.name)
        head.append(": ")
        head.append(string: field.value)
        head.append("\r\n")
    }

    fileprivate static func isOwnName(_ name: StaticString) -> Bool {
        let bytes = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return !bytes.isEmpty && bytes.allSatisfy { HTTP1Syntax.isToken($0) && !($0 >= 65 && $0 <= 90) }
            && !HTTP1Syntax.isFramingName(bytes, 0..<bytes.count)
    }
}

/// Own field lines made once and written as they are, for fields whose values do not change
/// from request to request (the gateway's `x-sluice-model` and `x-sluice-version` of one
/// version, made with its ``UpstreamTarget``). Checked as ``OwnFields/add(_:_:)`` checks:
/// a value with a CR or LF is left out.
package struct PreparedFieldLines: Sendable {
    /// `name: value` CRLF for each field kept.
    let bytes: [UInt8]

    package init(_ fields: KeyValuePairs<StaticString, String>) {
        var bytes: [UInt8] = []
        for (name, value) in fields where !HTTP1Syntax.hasLineBreak(value) {
            assert(OwnFields.isOwnName(name), "\(name) is not a lower-case token the writers leave to the caller")
            bytes += UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            bytes += ": ".utf8
            bytes += value.utf8
            bytes += "\r\n".utf8
        }
        self.bytes = bytes
    }
}
