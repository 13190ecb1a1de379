/// The runtime spec travels as its checked JSON form: decoding refuses what
/// `RuntimeSpec.decode(json:)` refuses, with the same field paths.
extension RuntimeSpec: Codable {
    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        do {
            self = try Self.decode(value: json)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}
