/// Reads CSV (RFC 4180) into typed columns.
///
/// - The first non-blank record is the header; names must be non-empty and distinct.
/// - Fields may be quoted (`"a, b"`, `"say ""hi"""`, line breaks inside quotes); records end
///   with LF or CRLF; blank lines are skipped; a UTF-8 byte order mark is ignored.
/// - A cell that is empty or only spaces and tabs is missing: counted, not a value.
/// - A column is numeric when every non-empty cell is a finite decimal number (spaces
///   around it allowed; see ``DecimalParser``), otherwise categorical, with its cells
///   taken as written.
/// - Errors name the file, line and column: an unterminated quote, text after a closing
///   quote, a row with more or fewer fields than the header.
public enum CSVReader {
    /// Reads a whole file's bytes; `file` is the name used in errors.
    public static func read(_ bytes: [UInt8], file: String) throws(CSVError) -> CSVTable {
        try bytes.withUnsafeBufferPointer { (buffer) throws(CSVError) -> CSVTable in try read(buffer, file: file) }
    }

    /// Reads borrowed bytes (no copy). `progress`, when given, is told the offset reading has
    /// reached about every ``progressStep`` bytes: bytes before it are not read again except for
    /// an error message or a column that turns categorical (a second pass), so a mapped file's
    /// caller may page in what follows and release what precedes without changing the result.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, file: String, progress: ((Int) -> Void)? = nil) throws(CSVError) -> CSVTable {
        var scanner = CSVScanner(bytes: bytes, file: file)
        var fields: [CSVScanner.Field] = []
        guard try scanner.next(into: &fields) else {
            throw CSVError(file: file, line: 1, column: 1, message: "the file is empty; expected a header row of column names")
        }
        let names = try header(fields, scanner: scanner)
        var builders = names.map { ColumnBuilder(name: $0) }
        let expected = expectedRows(bytes, from: scanner.index, columns: names.count)
        for column in builders.indices { builders[column].numbers.reserveCapacity(expected) }
        let row = UnsafeMutablePointer<Double>.allocate(capacity: names.count)
        defer { row.deallocate() }
        var rows = 0
        var allNumeric = true
        var mark = progress == nil ? Int.max : scanner.index + progressStep
        while true {
            if let progress, scanner.index >= mark {
                progress(scanner.index)
                mark = scanner.index + progressStep
            }
            // Rows of plain numbers skip the field-by-field path while every column is numeric.
            if allNumeric {
                builders.withUnsafeMutableBufferPointer { columns in
                    while scanner.index < mark, scanner.numericRecord(into: row, columns: columns.count) {
                        rows += 1
                        for column in columns.indices { columns[column].numbers.append(row[column]) }
                    }
                }
                if scanner.index >= mark { continue }
            }
            guard try scanner.next(into: &fields) else { break }
            try checkWidth(fields, expected: names.count, scanner: scanner)
            rows += 1
            for (column, field) in fields.enumerated() {
                builders[column].add(field, scanner: scanner)
            }
            allNumeric = allNumeric && builders.allSatisfy { $0.state == .numeric }
        }
        let rescan = builders.indices.filter { builders[$0].state == .rescan }
        if !rescan.isEmpty {
            try countCategories(of: rescan, in: &builders, bytes: bytes, file: file)
        }
        return CSVTable(columns: builders.map(\.column), rowCount: rows)
    }

    /// How often ``read(_:file:progress:)`` reports its offset.
    public static let progressStep = 1 << 20

    /// About how many rows follow `start`, from the length of the lines in its first 64 KiB and
    /// a margin of 5%: reserving that much up front spares the number arrays their doublings
    /// (each a copy and fresh pages to fault in). Never more than the bytes could hold, so a
    /// short sample cannot reserve an absurd amount; too little only means the array grows.
    private static func expectedRows(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, columns: Int) -> Int {
        let remaining = bytes.count - start
        let sample = UnsafeBufferPointer(rebasing: bytes[start..<start + min(remaining, 1 << 16)])
        let lines = sample.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard lines > 0 else { return 0 }
        let estimate = Int(Double(remaining) / Double(sample.count) * Double(lines) * 1.05) + 16
        return min(estimate, remaining / (2 * max(columns, 1)) + 1)
    }

    private static func header(_ fields: [CSVScanner.Field], scanner: CSVScanner) throws(CSVError) -> [String] {
        var names: [String] = []
        var seen: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            let name = scanner.text(field)
            if name.allSatisfy({ $0 == " " || $0 == "\t" }) {
                throw scanner.error(at: field.start, "column \(index + 1) has no name in the header")
            }
            if let first = seen[name] {
                throw scanner.error(at: field.start, "column '\(name)' appears twice in the header (columns \(first + 1) and \(index + 1))")
            }
            seen[name] = index
            names.append(name)
        }
        return names
    }

    private static func checkWidth(_ fields: [CSVScanner.Field], expected: Int, scanner: CSVScanner) throws(CSVError) {
        guard fields.count != expected else { return }
        let message = "\(fields.count) field\(fields.count == 1 ? "" : "s"); the header has \(expected)"
        // Point at the first extra field, or at the end of a short row.
        let offset = fields.count > expected ? fields[expected].start : fields[fields.count - 1].end
        throw scanner.error(at: offset, message)
    }

    /// The second pass, for columns that turned out categorical after numbers had been
    /// read (the numbers' original spelling is needed as category names).
    private static func countCategories(of columns: [Int], in builders: inout [ColumnBuilder], bytes: UnsafeBufferPointer<UInt8>, file: String) throws(CSVError) {
        var scanner = CSVScanner(bytes: bytes, file: file)
        var fields: [CSVScanner.Field] = []
        _ = try scanner.next(into: &fields)
        for column in columns {
            builders[column].state = .categorical
            builders[column].missing = 0
        }
        while try scanner.next(into: &fields) {
            for column in columns {
                builders[column].add(fields[column], scanner: scanner)
            }
        }
    }

    /// One column while reading: numbers until a cell is not one.
    private struct ColumnBuilder {
        enum State { case numeric, categorical, rescan }

        let name: String
        var state = State.numeric
        var numbers: [Double] = []
        var counts: [String: Int] = [:]
        var missing = 0

        init(name: String) { self.name = name }

        mutating func add(_ field: CSVScanner.Field, scanner: CSVScanner) {
            if state == .rescan { return }
            if isBlank(field, scanner.bytes) {
                missing += 1
                return
            }
            if state == .numeric {
                if let number = DecimalParser.parse(scanner.bytes, from: field.start, to: field.end) {
                    numbers.append(number)
                    return
                }
                // Earlier cells were numbers: their spelling is read again in a second pass.
                state = numbers.isEmpty ? .categorical : .rescan
                numbers = []
                if state == .rescan { return }
            }
            counts[scanner.text(field), default: 0] += 1
        }

        private func isBlank(_ field: CSVScanner.Field, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var index = field.start
            while index < field.end {
                if bytes[index] != 0x20, bytes[index] != 0x09 { return false }
                index += 1
            }
            return true
        }

        var column: CSVTable.Column {
            CSVTable.Column(name: name, values: state == .numeric ? .numeric(numbers) : .categorical(counts), missing: missing)
        }
    }
}
