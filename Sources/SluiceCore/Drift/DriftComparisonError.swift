/// Why a feature cannot be scored: its two sides do not fit together, or the test does
/// not fit the data. The message names the feature and what each side is.
public struct DriftComparisonError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable kind of problem.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// One side is numeric and the other categorical.
        public static let kindMismatch = Code(rawValue: "kind-mismatch")
        /// The test cannot run on this kind of data (ks on categories, ks on bins alone).
        public static let unsupportedTest = Code(rawValue: "unsupported-test")
        /// Both sides are binned, with different edges.
        public static let incompatibleBins = Code(rawValue: "incompatible-bins")
    }

    /// The kind of problem.
    public var code: Code
    /// The feature concerned.
    public var feature: String
    /// What is wrong and what would work, in plain words.
    public var message: String

    /// Creates an error.
    public init(code: Code, feature: String, message: String) {
        self.code = code
        self.feature = feature
        self.message = message
    }

    public var description: String { "feature '\(feature)': \(message)" }
}
