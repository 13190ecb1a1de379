import NIOCore

/// The `grpc-timeout` request header (gRPC over HTTP/2: `TimeoutValue TimeoutUnit`, at most 8
/// ASCII digits and one of `H M S m u n`): how long the caller waits for the call. The gateway
/// ends a call at the smaller of it and `serve.upstreamTimeout`, and passes what is left on.
enum GRPCTimeout {
    /// Why a `grpc-timeout` value is refused.
    enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case tooManyDigits(String)
        case notDigits(String)
        case unknownUnit(String)

        var description: String {
            switch self {
            case .empty: "the value is empty; expected 1 to 8 digits and a unit (H, M, S, m, u, n), e.g. 250m"
            case .tooManyDigits(let value): "'\(value)' has more than 8 digits"
            case .notDigits(let value): "'\(value)' does not start with 1 to 8 ASCII digits"
            case .unknownUnit(let value): "'\(value)' ends in none of the units H, M, S, m, u, n"
            }
        }
    }

    /// The units, largest first, with their length in nanoseconds.
    private static let units: [(unit: UInt8, nanoseconds: Int64)] = [
        (UInt8(ascii: "H"), 3_600_000_000_000), (UInt8(ascii: "M"), 60_000_000_000), (UInt8(ascii: "S"), 1_000_000_000),
        (UInt8(ascii: "m"), 1_000_000), (UInt8(ascii: "u"), 1_000), (UInt8(ascii: "n"), 1),
    ]

    /// The largest value the header can hold in one unit.
    private static let maximumValue: Int64 = 99_999_999

    /// `value` read as a duration; one beyond what 64 bits of nanoseconds hold (about 292
    /// years: more than 2,562,047 hours) is the longest they hold.
    static func parse(_ value: String) throws(Problem) -> TimeAmount {
        let bytes = Array(value.utf8)
        guard let unit = bytes.last else { throw .empty }
        guard let size = units.first(where: { $0.unit == unit })?.nanoseconds else { throw .unknownUnit(printable(value)) }
        let digits = bytes.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { throw .notDigits(printable(value)) }
        guard digits.count <= 8 else { throw .tooManyDigits(printable(value)) }
        let count = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        let (nanoseconds, overflow) = count.multipliedReportingOverflow(by: size)
        return .nanoseconds(overflow ? .max : nanoseconds)
    }

    /// `amount` as a header value: the finest unit whose count fits 8 digits, rounded up (as
    /// grpc-go does) so that a little time left is never sent as none; at least `1n`. The
    /// gateway ends the call at its own deadline whatever the model server does.
    static func encode(_ amount: TimeAmount) -> String {
        let nanoseconds = max(1, amount.nanoseconds)
        for (unit, size) in units.reversed() {
            let count = (nanoseconds + size - 1) / size
            if count <= maximumValue { return String(count) + String(Unicode.Scalar(unit)) }
        }
        return String(maximumValue) + "H"
    }

    /// At most 64 printable characters of a hostile value, for an error message.
    private static func printable(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.prefix(64).map { $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }
}
