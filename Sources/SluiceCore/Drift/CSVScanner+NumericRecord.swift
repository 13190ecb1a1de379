/// The row fast path: most large drift inputs are rows of plain numbers, and reading one
/// number straight to its delimiter touches each byte once, where the field-by-field path
/// finds the delimiter, trims the field and then reads its digits.
extension CSVScanner {
    /// Reads the record at the current position when it is exactly `columns` plain numbers
    /// (no quotes, spaces or empty cells; LF or CRLF) into `row`, and returns true. Otherwise
    /// it moves nothing and returns false, and the caller reads the record with
    /// ``next(into:)``; for a record both accept, both read the same numbers from the same digits
    /// (``DecimalParser/scan(_:at:limit:)``), so the choice never changes a value.
    @inline(__always)
    mutating func numericRecord(into row: UnsafeMutablePointer<Double>, columns: Int) -> Bool {
        let count = bytes.count
        var position = index
        var column = 0
        while true {
            guard let value = DecimalParser.scan(bytes, at: &position, limit: count) else { return false }
            row[column] = value
            column += 1
            guard position < count else {
                // The last record, without a newline.
                guard column == columns else { return false }
                skipRecord(to: position, endsLine: false)
                return true
            }
            var delimiter = bytes[position]
            // A carriage return before a delimiter is not part of the field (as in `record`).
            if delimiter == Self.carriageReturn {
                guard position + 1 < count else { return false }
                position += 1
                delimiter = bytes[position]
            }
            if column == columns {
                guard delimiter == Self.newline else { return false }
                skipRecord(to: position + 1, endsLine: true)
                return true
            }
            guard delimiter == Self.comma else { return false }
            position += 1
        }
    }
}
