/// A PromQL query with `{{variables}}`, as written in a manifest or in `sluice.yaml`.
///
/// The variables are ``Variable``'s cases. Rendering escapes every value for the string
/// literal it sits in, so a model or version name can never change the query's shape.
public struct QueryTemplate: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The template as written.
    public let text: String

    /// Wraps `text`; see ``QueryTemplateChecker`` for the checks a manifest's template passes.
    public init(_ text: String) {
        self.text = text
    }

    public var description: String { text }

    /// The variables a template may use.
    public enum Variable: String, Sendable, Hashable, CaseIterable {
        /// The model's name.
        case model
        /// The version judged: the candidate in an analysis, each serving version in a monitor.
        case version
        /// The stable version.
        case stableVersion
        /// The analysis interval or the monitor's window, as a PromQL duration (`30s`, `1h`).
        case window
        /// The configured namespace (`controller.prometheus.namespace`).
        case namespace
    }

    /// The values substituted for the variables.
    public struct Values: Sendable, Hashable {
        public var model: String
        public var version: String
        public var stableVersion: String
        public var window: Duration
        public var namespace: String

        public init(model: String, version: String, stableVersion: String, window: Duration, namespace: String) {
            self.model = model
            self.version = version
            self.stableVersion = stableVersion
            self.window = window
            self.namespace = namespace
        }

        /// The text for `variable`, unescaped.
        public func text(for variable: Variable) -> String {
            switch variable {
            case .model: model
            case .version: version
            case .stableVersion: stableVersion
            case .window: window.description
            case .namespace: namespace
            }
        }
    }
}
