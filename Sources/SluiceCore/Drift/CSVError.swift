/// Why a CSV file cannot be read, and where: compiler style, `data.csv:7:12: message`.
public struct CSVError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as the user named it.
    public var file: String
    /// 1-based physical line (a quoted field may span lines).
    public var line: Int
    /// 1-based column, in Unicode scalars from the start of the line.
    public var column: Int
    /// What is wrong, in plain words.
    public var message: String

    /// Creates an error at a position of `file`.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}
