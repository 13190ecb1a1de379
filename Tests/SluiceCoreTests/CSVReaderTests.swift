import SluiceCore
import Testing

/// CSV reading: RFC 4180 quoting, line endings, typing columns, and errors with positions.
@Suite("CSV reader", .timeLimit(.minutes(10)))
struct CSVReaderTests {
    func read(_ text: String) throws(CSVError) -> CSVTable {
        try CSVReader.read(Array(text.utf8), file: "data.csv")
    }

    func error(_ text: String) -> String? {
        do {
            _ = try read(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("quotes, escaped quotes, commas and line breaks inside quotes, CRLF, BOM, blank lines")
    func quoting() throws {
        let table = try read("\u{FEFF}name,note,amount\r\n\"Smith, J\",\"said \"\"hi\"\"\",1.5\r\n\r\nLee,\"two\nlines\",2\r\n\"\",x,\n")
        #expect(table.header == ["name", "note", "amount"])
        #expect(table.rowCount == 3)
        #expect(table["name"]?.values == .categorical(["Smith, J": 1, "Lee": 1]))
        #expect(table["name"]?.missing == 1, "an empty quoted field is missing")
        #expect(table["note"]?.values == .categorical(["said \"hi\"": 1, "two\nlines": 1, "x": 1]))
        #expect(table["amount"]?.values == .numeric([1.5, 2]))
        #expect(table["amount"]?.missing == 1)
        #expect(try read("a\n1").rowCount == 1, "no newline at the end")
    }

    @Test("a column is numeric when every non-empty cell is a finite number")
    func typing() throws {
        let table = try read("a,b,c,d,e\n 1 ,1e3,0x1A,,-.5\n2,inf, 7,,+3.\n,-2.5E-3,x,  ,1e400\n")
        #expect(table["a"]?.values == .numeric([1, 2]) && table["a"]?.missing == 1)
        #expect(table["b"]?.values == .categorical(["1e3": 1, "inf": 1, "-2.5E-3": 1]), "inf is not finite")
        #expect(table["c"]?.values == .categorical(["0x1A": 1, " 7": 1, "x": 1]), "hexadecimal is not a number here")
        #expect(table["d"]?.values == .numeric([]) && table["d"]?.missing == 3)
        #expect(table["e"]?.values == .categorical(["-.5": 1, "+3.": 1, "1e400": 1]), "1e400 overflows")
        #expect(table["d"]?.featureData == .numericSample([]))
    }

    @Test("a column that turns categorical late keeps the numbers' spelling")
    func lateCategorical() throws {
        var text = "id\n"
        for index in 0..<1000 { text += index % 2 == 0 ? "1.50\n" : "2\n" }
        text += "n/a\n"
        let table = try read(text)
        #expect(table["id"]?.values == .categorical(["1.50": 500, "2": 500, "n/a": 1]))
        #expect(table["id"]?.missing == 0)
    }

    @Test("decimal numbers are read correctly rounded, as Swift's Double(String)")
    func decimals() throws {
        let samples = ["0.1", "-0", "123456789012345678901234", "3.141592653589793238", "1e-320", "2.2250738585072014e-308",
                       "9007199254740993", "0.000001234", "1E22", "1e23", "4.35", "17.9e-5", "-1.7976931348623157e308"]
        let table = try read("x\n" + samples.joined(separator: "\n"))
        guard case .numeric(let values)? = table["x"]?.values else {
            Issue.record("not numeric")
            return
        }
        #expect(values == (try samples.map { try #require(Double($0)) }))
        var state: UInt64 = 7
        var many: [String] = []
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let mantissa = state >> 20
            let exponent = Int((state >> 8) % 60) - 30
            many.append("\(mantissa % 2 == 0 ? "-" : "")\(mantissa).\(state % 1000)e\(exponent)")
        }
        guard case .numeric(let parsed)? = try read("x\n" + many.joined(separator: "\n"))["x"]?.values else {
            Issue.record("not numeric")
            return
        }
        #expect(parsed == (try many.map { try #require(Double($0)) }))
    }

    @Test("errors name the file, line and column")
    func errors() {
        #expect(error("a,b\n1,2\n3,\"open\n4,5\n") == "data.csv:3:3: unterminated quoted field: the quote opened here is never closed")
        #expect(error("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n") == "data.csv:3:8: 4 fields; the header has 5")
        #expect(error("a,b\n1,2,3\n") == "data.csv:2:5: 3 fields; the header has 2")
        #expect(error("a,b\n\"x\"y,2\n") == "data.csv:2:4: unexpected text after a closing quote; a quote inside a quoted field is written \"\"")
        #expect(error("a,b\n\"multi\nline\",2,3\n") == "data.csv:3:9: 3 fields; the header has 2", "positions count physical lines")
        #expect(error("größe,b\nä,ö,ü\n") == "data.csv:2:5: 3 fields; the header has 2", "columns count characters, not bytes")
        #expect(error("") == "data.csv:1:1: the file is empty; expected a header row of column names")
        #expect(error("\n\n") == "data.csv:1:1: the file is empty; expected a header row of column names")
        #expect(error("a,,c\n") == "data.csv:1:3: column 2 has no name in the header")
        #expect(error("a,b,a\n") == "data.csv:1:5: column 'a' appears twice in the header (columns 1 and 3)")
    }
}
