/// Kubernetes object-name rules the config checks before a cluster would refuse them.
enum KubernetesNameRules {
    /// What a DNS-1123 subdomain is, for messages.
    static let subdomainExpectation =
        "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit, at most 253 characters"

    /// Why `name` is no DNS-1123 subdomain (apimachinery `IsDNS1123Subdomain`), or nil.
    static func subdomainProblem(_ name: String) -> String? {
        guard !name.isEmpty else { return "the name is empty" }
        guard name.utf8.count <= 253 else { return "'\(name.prefix(40))…' is longer than 253 characters" }
        for part in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard let first = part.utf8.first, let last = part.utf8.last else { return "'\(name)' has an empty part between dots" }
            let allowed = part.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
            guard allowed, isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return "'\(name)' is not a DNS-1123 subdomain" }
        }
        return nil
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
