/// Why a serialized sketch was rejected: the field (a path such as `levels[2][5]`, empty for
/// the document itself) and what was expected there.
public struct SketchDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending field, e.g. `levels[2][5]` or `items.blue`; empty for the whole document.
    public var path: String
    /// What was expected, in plain words.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Field readers shared by the sketches' JSON decoders.
enum SketchJSON {
    /// The largest count accepted (2^53): a thousand such sketches still merge within Int.
    static let maximumCount = 1 << 53

    /// An integer in `range`; an integral `.number` is accepted (JSON has one number type).
    static func integer(_ value: JSONValue?, _ path: String, in range: ClosedRange<Int>) throws(SketchDecodingError) -> Int {
        let integer: Int?
        switch value {
        case .int(let number)?: integer = number
        case .number(let number)? where number == number.rounded() && abs(number) < 9e15: integer = Int(number)
        default: integer = nil
        }
        guard let integer, range.contains(integer) else {
            throw SketchDecodingError(path: path, message: "expected an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return integer
    }

    /// A finite number.
    static func number(_ value: JSONValue?, _ path: String) throws(SketchDecodingError) -> Double {
        switch value {
        case .int(let number)?: return Double(number)
        case .number(let number)? where number.isFinite: return number
        default: throw SketchDecodingError(path: path, message: "expected a finite number")
        }
    }

    /// The members of an object.
    static func object(_ value: JSONValue?, _ path: String) throws(SketchDecodingError) -> [(String, JSONValue)] {
        guard case .object(let members)? = value else { throw SketchDecodingError(path: path, message: "expected an object") }
        return members
    }

    /// The items of an array.
    static func array(_ value: JSONValue?, _ path: String) throws(SketchDecodingError) -> [JSONValue] {
        guard case .array(let items)? = value else { throw SketchDecodingError(path: path, message: "expected an array") }
        return items
    }
}
