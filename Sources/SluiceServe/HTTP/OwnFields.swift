/// Fields a responder or the gateway sets itself, written after any copied fields: each name a
/// literal, each value checked once as it is added (one with a CR or LF, which would end the
/// line early, is left out). The writers copy them as they are: no `HTTPHeaders` to build and
/// walk twice, and no second check of each name and value.
package struct OwnFields: Sendable {
    /// A struct, not a tuple: an array of tuples is destroyed through the runtime's generic
    /// tuple witnesses, element by element (~60 instructions a field).
    private struct Field {
        let name: StaticString
        let value: Value
    }

    /// A field's value: text, or a request id written as its digits (no `String` made for it).
    private enum Value {
        case text(String)
        case requestID(RequestID)
    }

    private var fields: [Field] = []

    /// No fields.
    package init() {}

    /// Room for `capacity` fields.
    package init(capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    /// Adds `name: value` unless `value` holds a CR or LF. `name` is a lower-case token the
    /// writers do not set themselves (not a framing name, not `host`).
    package mutating func add(_ name: StaticString, _ value: String) {
        assert(Self.isOwnName(name), "\(name) is not a lower-case token the writers leave to the caller")
        guard !HTTP1Syntax.hasLineBreak(value) else { return }
        fields.append(Field(name: name, value: .text(value)))
    }

    /// Adds `name: id`, the id as its 32 hex digits. `name` as for a text value.
    package mutating func add(_ name: StaticString, _ id: RequestID) {
        assert(Self.isOwnName(name), "\(name) is not a lower-case token the writers leave to the caller")
        fields.append(Field(name: name, value: .requestID(id)))
    }

    /// The number of fields.
    package var count: Int { fields.count }

    /// The most bytes ``write(to:)`` writes.
    var maximumBytes: Int {
        fields.reduce(0) { total, field in
            switch field.value {
            case .text(let text): total + field.name.utf8CodeUnitCount + text.utf8.count + 4
            case .requestID: total + field.name.utf8CodeUnitCount + RequestID.digits + 4
            }
        }
    }

    /// Writes each field `name: value` CRLF, in the order added.
    func write(to head: inout HeadBytesWriter) {
        for field in fields {
            head.append(field.name)
            head.append(": ")
            switch field.value {
            case .text(let text): head.append(text)
            case .requestID(let id): head.append(id)
            }
            head.append("\r\n")
        }
    }

    private static func isOwnName(_ name: StaticString) -> Bool {
        let bytes = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return !bytes.isEmpty && bytes.allSatisfy { HTTP1Syntax.isToken($0) && !($0 >= 65 && $0 <= 90) }
            && !HTTP1Syntax.isFramingName(bytes, 0..<bytes.count)
    }
}
