import SluiceCore
import Testing

/// The row fast path of ``CSVReader`` (rows of plain numbers read straight to their
/// delimiters) against the field-by-field path it stands in for: the same values bit for bit,
/// the same line endings, and errors at the same line and column after it has read rows.
@Suite("CSV reader: numeric rows", .timeLimit(.minutes(10)))
struct CSVNumericRowTests {
    /// Reads as `CSVReaderTests` does (file name data.csv).
    let csv = CSVReaderTests()

    func read(_ text: String) throws(CSVError) -> CSVTable { try csv.read(text) }

    func error(_ text: String) -> String? { csv.error(text) }

    func numbers(_ table: CSVTable, _ name: String) -> [UInt64]? {
        guard case .numeric(let values)? = table[name]?.values else { return nil }
        return values.map(\.bitPattern)
    }

    /// Numbers spelled the ways CSV writers spell them, from a fixed generator.
    static func spellings(_ count: Int) -> [String] {
        var state: UInt64 = 20
        var spelled: [String] = []
        for index in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let value = Double(bitPattern: state >> 2 | 0x3000_0000_0000_0000) * (state & 1 == 0 ? 1 : -1)
            switch index % 8 {
            case 0: spelled.append("\(value)")
            case 1: spelled.append("\(Int64(bitPattern: state) >> Int(state % 60))")
            case 2: spelled.append("\(state % 1000).\(state >> 50)e\(Int(state % 40) - 20)")
            case 3: spelled.append(".\(state % 100_000)")
            case 4: spelled.append("+\(state % 100).")
            case 5: spelled.append("-0.000\(state)")
            case 6: spelled.append("\(state)\(state).5E+3")
            default: spelled.append("0")
            }
        }
        return spelled
    }

    @Test("rows of plain numbers read as the field-by-field path reads them, bit for bit")
    func sameBits() throws {
        let a = Self.spellings(20_000), b = Self.spellings(20_001).reversed().map { $0 }
        let plain = zip(a, b).map { "\($0),\($1)\n" }
        // A space before a cell sends its row down the field-by-field path.
        let spaced = zip(a, b).map { " \($0), \($1)\n" }
        let mixed = plain.indices.map { $0 % 3 == 0 ? spaced[$0] : plain[$0] }
        let fast = try read("a,b\n" + plain.joined())
        let slow = try read("a,b\n" + spaced.joined())
        let both = try read("a,b\n" + mixed.joined())
        #expect(numbers(fast, "a") != nil && numbers(fast, "b") != nil)
        #expect(numbers(fast, "a") == numbers(slow, "a") && numbers(fast, "b") == numbers(slow, "b"))
        #expect(numbers(both, "a") == numbers(slow, "a") && numbers(both, "b") == numbers(slow, "b"))
        #expect(numbers(fast, "a") == (try a.map { try #require(Double($0)).bitPattern }))
        #expect(fast.rowCount == 20_000 && both.rowCount == 20_000)
    }

    @Test("CRLF, a carriage return before a comma, no newline at the end, and a header alone")
    func lineEndings() throws {
        let crlf = try read("a,b\r\n1,2\r\n3\r,4")
        #expect(crlf["a"]?.values == .numeric([1, 3]) && crlf["b"]?.values == .numeric([2, 4]))
        #expect(try read("a\n1\n2").rowCount == 2)
        // As before the fast path: a carriage return at the very end stays in the cell.
        #expect(try read("a\n1\n2\r")["a"]?.values == .categorical(["1": 1, "2\r": 1]))
        for header in ["a,b", "a,b\n", "a,b\r\n", "a,b\n\n\n"] {
            let table = try read(header)
            #expect(table.rowCount == 0 && table["a"]?.values == .numeric([]) && table["b"]?.values == .numeric([]), "\(header.debugDescription)")
        }
        #expect(error("") == "data.csv:1:1: the file is empty; expected a header row of column names")
    }

    @Test("empty cells, blank lines and a column that turns categorical between plain rows")
    func interleaved() throws {
        let table = try read("a,b\n1,\n\n,2\n3,4\n5,6\n")
        #expect(table["a"]?.values == .numeric([1, 3, 5]) && table["a"]?.missing == 1)
        #expect(table["b"]?.values == .numeric([2, 4, 6]) && table["b"]?.missing == 1)
        #expect(table.rowCount == 4)
        var text = "a,b\n"
        for index in 0..<5000 { text += "\(index),\(index).25\n" }
        text += "x,1\n7,8\n"
        let late = try read(text)
        #expect(late["a"]?.count == 5002)
        guard case .categorical(let counts)? = late["a"]?.values else {
            Issue.record("a is categorical")
            return
        }
        #expect(counts["4999"] == 1 && counts["x"] == 1 && counts["7"] == 2)
        #expect(numbers(late, "b")?.count == 5002)
    }

    @Test("an error after many plain rows names its line and column")
    func errorsAfterPlainRows() {
        let rows = (0..<100_000).map { "\($0),0.\($0)\n" }.joined()
        #expect(error("a,b\n" + rows + "7\n") == "data.csv:100002:2: 1 field; the header has 2")
        #expect(error("a,b\n" + rows + "\n\r\n1,2,3\n") == "data.csv:100004:5: 3 fields; the header has 2")
        #expect(error("a,b\r\n" + rows + "1,\"open\n") == "data.csv:100002:3: unterminated quoted field: the quote opened here is never closed")
        #expect(error("a\n1\n2,3\n") == "data.csv:3:3: 2 fields; the header has 1")
    }
}
