import Foundation

/// An IANA time-zone name (`Europe/Berlin`, `America/New_York`, `UTC`), checked against the
/// time-zone data Foundation carries (ICU's, bundled with the Swift runtime: the same on every
/// machine running one Sluice build).
public enum ZoneName {
    /// Why `name` is not a time zone, or nil when it is one.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a time zone may not be empty" }
        // Foundation also reads `GMT+5` and the like, which IANA spells `Etc/GMT-5`
        // (sign inverted): refused, so nobody's window is off by ten hours.
        let upper = name.uppercased()
        let offsetForm = ["GMT+", "GMT-", "UTC+", "UTC-"].contains { upper.hasPrefix($0) }
        if !offsetForm, name.unicodeScalars.allSatisfy(\.isZoneNameCharacter), TimeZone(identifier: name) != nil { return nil }
        var message = "'\(name)' is not an IANA time zone name such as UTC, Europe/Berlin or America/New_York"
        if offsetForm { message += "; for a fixed offset write a zone of the place, or Etc/GMT-N for UTC+N (the sign is inverted)" }
        if let suggestion = Suggestion.closest(to: name, among: TimeZone.knownTimeZoneIdentifiers + ["UTC"]), suggestion != name {
            message += "; did you mean '\(suggestion)'?"
        }
        return message
    }

    /// The zone named `name` (checked by ``problem(_:)`` first); UTC for anything else.
    static func zone(_ name: String) -> TimeZone {
        TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
    }
}

extension Unicode.Scalar {
    fileprivate var isZoneNameCharacter: Bool {
        isASCIIAlphanumeric || self == "/" || self == "_" || self == "-" || self == "+"
    }
}
