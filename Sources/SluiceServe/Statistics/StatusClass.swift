/// The class of an HTTP status, as counted per version.
enum StatusClass: Int, CaseIterable, Sendable {
    case informational, success, redirection, clientError, serverError
    /// No response from the upstream (status 0) or a status outside 100…599.
    case failed

    init(status: Int) {
        switch status {
        case 100..<200: self = .informational
        case 200..<300: self = .success
        case 300..<400: self = .redirection
        case 400..<500: self = .clientError
        case 500..<600: self = .serverError
        default: self = .failed
        }
    }

    /// The `code_class` label and the key in snapshots.
    var label: String {
        switch self {
        case .informational: "1xx"
        case .success: "2xx"
        case .redirection: "3xx"
        case .clientError: "4xx"
        case .serverError: "5xx"
        case .failed: "failed"
        }
    }

    /// 5xx and failed requests are errors.
    var isError: Bool { self == .serverError || self == .failed }

    /// 1xx and 3xx are reported only when seen; the others always, so series start at zero.
    var alwaysReported: Bool { self != .informational && self != .redirection }
}

/// One counter per status class, without an allocation.
struct StatusCounts: Sendable {
    private var informational: UInt64 = 0
    private var success: UInt64 = 0
    private var redirection: UInt64 = 0
    private var clientError: UInt64 = 0
    private var serverError: UInt64 = 0
    private var failed: UInt64 = 0

    subscript(statusClass: StatusClass) -> UInt64 {
        get {
            switch statusClass {
            case .informational: informational
            case .success: success
            case .redirection: redirection
            case .clientError: clientError
            case .serverError: serverError
            case .failed: failed
            }
        }
        set {
            switch statusClass {
            case .informational: informational = newValue
            case .success: success = newValue
            case .redirection: redirection = newValue
            case .clientError: clientError = newValue
            case .serverError: serverError = newValue
            case .failed: failed = newValue
            }
        }
    }

    /// The classes to report, in order, with their counts.
    var reported: [(label: String, count: UInt64)] {
        StatusClass.allCases.compactMap { statusClass in
            let count = self[statusClass]
            return statusClass.alwaysReported || count > 0 ? (statusClass.label, count) : nil
        }
    }
}
