/// Numbers and durations, as Prometheus' lexer and `model.ParseDuration` read them.
extension TemplateLexer {
    /// Go's `scanNumber`: the end of a number at `start`, and whether it stands alone (no
    /// letter follows, so it is not a duration's number).
    func scanNumber(from start: Int) -> (end: Int, isNumber: Bool) {
        var end = start
        var hex = false
        if bytes[end] == UInt8(ascii: "0"), end + 1 < bytes.count, bytes[end + 1] == UInt8(ascii: "x") || bytes[end + 1] == UInt8(ascii: "X") {
            end += 2
            hex = true
        }
        func digits() { while end < bytes.count, hex ? bytes[end].isHexDigit : bytes[end].isDigit { end += 1 } }
        digits()
        if end < bytes.count, bytes[end] == UInt8(ascii: ".") {
            end += 1
            digits()
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "e") || bytes[end] == UInt8(ascii: "E") {
            end += 1
            if end < bytes.count, bytes[end] == UInt8(ascii: "+") || bytes[end] == UInt8(ascii: "-") { end += 1 }
            while end < bytes.count, bytes[end].isDigit { end += 1 }
        }
        return (end, !(end < bytes.count && bytes[end].isAlphaNumeric))
    }

    /// Go's `acceptRemainingDuration`: the end of a duration's units from `start`, or nil.
    func remainingDuration(from start: Int) -> Int? {
        var end = start
        func accept(_ set: String) -> Bool {
            guard end < bytes.count, set.utf8.contains(bytes[end]) else { return false }
            end += 1
            return true
        }
        guard accept("smhdwy") else { return nil }
        _ = accept("s")
        while end < bytes.count, bytes[end].isDigit {
            while end < bytes.count, bytes[end].isDigit { end += 1 }
            guard accept("smhdw") else { return nil }
            _ = accept("s")
        }
        return end < bytes.count && bytes[end].isAlphaNumeric ? nil : end
    }

    /// Checks a lexed duration as Prometheus parses it: integer parts, units y w d h m s ms,
    /// each once and largest first; a range must be longer than zero.
    mutating func checkDuration(from start: Int, to end: Int, isRange: Bool) -> Bool {
        let written = text(start, end)
        guard let milliseconds = Self.durationMilliseconds(Array(bytes[start..<end])) else {
            fail(.badNumber, at: start, "'\(written)' is not a valid duration: whole numbers with units y, w, d, h, m, s, ms, each once and largest first (1h30m)")
            return false
        }
        if isRange, milliseconds == 0 {
            fail(.badNumber, at: start, "a range of '\(written)' is empty; it must be longer than zero")
            return false
        }
        return true
    }

    /// A PromQL duration's length, or nil when it is not one (Prometheus' `model.ParseDuration`).
    static func durationMilliseconds(_ bytes: [UInt8]) -> UInt64? {
        let units: [(String, UInt64)] = [
            ("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
        ]
        var rest = bytes[...]
        var next = 0
        var total: UInt64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isDigit }
            guard !digits.isEmpty, let number = UInt64(String(decoding: digits, as: UTF8.self)) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix { $0.isAlpha }
            rest = rest.dropFirst(letters.count)
            let unit = String(decoding: letters, as: UTF8.self)
            guard let position = units[next...].firstIndex(where: { $0.0 == unit }) else { return nil }
            next = position + 1
            let (product, overflow) = number.multipliedReportingOverflow(by: units[position].1)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow, !overflow2, sum <= UInt64(Int64.max) / 1_000_000 else { return nil }
            total = sum
        }
        return total
    }
}
