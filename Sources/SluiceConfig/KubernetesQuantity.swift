/// The grammar of a Kubernetes resource quantity (apimachinery `resource.Quantity`):
///
///     quantity        ::= signedNumber suffix
///     number          ::= digits | digits "." digits | digits "." | "." digits
///     suffix          ::= binarySI | decimalExponent | decimalSI
///     binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
///     decimalSI       ::= m | "" | k | M | G | T | P | E
///     decimalExponent ::= "e" signedNumber | "E" signedNumber   (an integer exponent)
///
/// Resource requests and limits may not be negative, so a sign is refused here.
enum KubernetesQuantity {
    private static let binarySI: Set<String> = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    private static let decimalSI: Set<String> = ["", "m", "k", "M", "G", "T", "P", "E"]

    /// Why `text` is no non-negative quantity, or nil.
    static func problem(in text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return "it is empty" }
        guard bytes.count <= 64 else { return "it is longer than 64 characters" }
        if bytes[0] == UInt8(ascii: "-") { return "a resource quantity cannot be negative" }
        var index = bytes[0] == UInt8(ascii: "+") ? 1 : 0
        let integerDigits = digits(bytes, from: &index)
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fractionDigits = digits(bytes, from: &index)
        }
        guard integerDigits + fractionDigits > 0 else { return "it does not start with a number" }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        if binarySI.contains(suffix) || decimalSI.contains(suffix) { return nil }
        if let first = suffix.utf8.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E") {
            var exponent = Array(suffix.utf8.dropFirst())
            if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { exponent.removeFirst() }
            var position = 0
            if !exponent.isEmpty, digits(exponent, from: &position) == exponent.count { return nil }
            return "the exponent '\(suffix)' is not an integer"
        }
        return "the suffix '\(suffix)' is none of Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E or an exponent such as e3"
    }

    private static func digits(_ bytes: [UInt8], from index: inout Int) -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }
}
