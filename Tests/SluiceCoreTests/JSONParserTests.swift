import SluiceCore
import Testing

@Suite("JSON parser", .timeLimit(.minutes(10)))
struct JSONParserTests {
    @Test("parses every kind of value, keeping member order")
    func values() throws {
        let value = try JSONParser.parse(#"{"b": [1, -2.5e3, true, false, null], "a": "x\"\u00e9\ud83d\ude00\n"}"#)
        #expect(value.serialized() == #"{"b":[1,-2500,true,false,null],"a":"x\"é😀\n"}"#)
    }

    @Test("large integers become doubles, not crashes")
    func bigNumbers() throws {
        #expect(try JSONParser.parse("123456789012345678901234567890") == .number(1.2345678901234568e29))
        #expect(try JSONParser.parse("-0") == .int(0))
    }

    @Test("errors name line, column and what was expected", arguments: [
        ("{\"a\": 1,}", "line 1, column 9: expected a member name in double quotes"),
        ("[1, 2", "line 1, column 6: expected ',' or ']' in the array"),
        ("{\n  \"a\" 1}", "line 2, column 7: expected ':' after the member name"),
        ("01", "line 1, column 2: unexpected text after the JSON value"),
        ("\"tab\there\"", "line 1, column 5: control character in a string (escape it)"),
        ("nul", "line 1, column 1: expected 'null'"),
        ("1.", "line 1, column 3: expected a digit after the decimal point"),
        ("\"\\x\"", "line 1, column 3: invalid escape '\\x'"),
        ("", "line 1, column 1: expected a value, found the end of the document"),
        ("\"open", "line 1, column 6: unterminated string"),
    ])
    func errors(input: String, message: String) throws {
        let error = try #require(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(input) }
        #expect(error.description == message)
    }

    @Test("deep nesting is refused instead of exhausting the stack")
    func depth() throws {
        let deep = String(repeating: "[", count: 100_000)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("accepted 100,000 levels")
        } catch {
            #expect(error.message == "nested deeper than 128 levels")
        }
        // 128 levels are allowed (a throw fails the test with the parser's message).
        _ = try JSONParser.parse(String(repeating: "[", count: 128) + String(repeating: "]", count: 128))
    }
}
