/// One difference a reviewer reads: a field of a model that is added, removed or changed,
/// with its values as short text (`traffic.v2.1: 100 → 0`).
public struct FieldChange: Sendable, Hashable {
    /// What happened to the field.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        /// The field is set at the target revision only.
        case added
        /// The field is set at the base revision only.
        case removed
        /// The field has another value.
        case changed

        /// The mark in front of the line, as in `terraform plan`: `+`, `-` or `~`.
        public var symbol: String {
            switch self {
            case .added: return "+"
            case .removed: return "-"
            case .changed: return "~"
            }
        }
    }

    /// What happened.
    public var operation: Operation
    /// The field, named with model names instead of list indices: `versions.v2.2.artifact`,
    /// `traffic.v2.1`, `monitors.errors.max`, `rollout.analysis.checks`.
    public var field: String
    /// The value before; nil when added.
    public var old: String?
    /// The value after; nil when removed.
    public var new: String?

    /// Creates a difference.
    public init(_ operation: Operation, _ field: String, old: String? = nil, new: String? = nil) {
        self.operation = operation
        self.field = field
        self.old = old
        self.new = new
    }

    /// The top-level part of the spec it concerns: `versions`, `traffic`, `runtime`, `routing`,
    /// `rollout`, `monitors` or `labels`.
    public var section: String {
        String(field.prefix { $0 != "." })
    }

    /// The difference in one line, without the mark: `traffic.v2.1: 100 → 0`.
    public var summary: String {
        switch operation {
        case .added: return "\(field): \(new ?? "")"
        case .removed: return "\(field): \(old ?? "")"
        case .changed: return "\(field): \(old ?? "") → \(new ?? "")"
        }
    }
}
