/// A CSV file read column by column, each column typed: numeric when every non-empty cell
/// is a finite number, categorical otherwise (see ``CSVReader``).
public struct CSVTable: Sendable, Hashable {
    /// One column's values.
    public struct Column: Sendable, Hashable {
        /// The values of a column, by kind.
        public enum Values: Sendable, Hashable {
            /// Every non-empty cell parsed as a finite number; the values in row order.
            case numeric([Double])
            /// At least one non-empty cell is not a number: how often each value occurs.
            case categorical([String: Int])
        }

        /// The header's name for the column.
        public var name: String
        /// The non-empty cells.
        public var values: Values
        /// Cells that were empty or only spaces and tabs.
        public var missing: Int

        /// Creates a column.
        public init(name: String, values: Values, missing: Int) {
            self.name = name
            self.values = values
            self.missing = missing
        }

        /// How many non-empty cells the column has.
        public var count: Int {
            switch values {
            case .numeric(let numbers): return numbers.count
            case .categorical(let counts): return counts.values.reduce(0, +)
            }
        }

        /// The column as drift-test input: raw values or exact category counts.
        public var featureData: FeatureData {
            switch values {
            case .numeric(let numbers): return .numericSample(numbers)
            case .categorical(let counts): return .categorical(counts: counts)
            }
        }
    }

    /// The columns in header order.
    public var columns: [Column]
    /// Data rows read (blank lines are not rows).
    public var rowCount: Int

    /// Creates a table.
    public init(columns: [Column], rowCount: Int) {
        self.columns = columns
        self.rowCount = rowCount
    }

    /// The column names in header order.
    public var header: [String] { columns.map(\.name) }

    /// The column called `name`.
    public subscript(name: String) -> Column? { columns.first { $0.name == name } }
}
