import Testing

@testable import SluiceServe

/// A lookup searched as a list while short and hashed beyond finds what a dictionary finds,
/// on both sides of the limit.
@Suite struct SmallLookupTests {
    @Test("every key is found and no other, with 0 to 3 times the list limit of keys", arguments: [0, 1, 7, 8, 9, 24])
    func agreesWithADictionary(count: Int) {
        let dictionary = Dictionary(uniqueKeysWithValues: (0..<count).map { ("version-\($0)", $0) })
        let lookup = SmallLookup(dictionary)
        for key in 0..<count { #expect(lookup["version-\(key)"] == key) }
        for absent in ["", "version-", "version-\(count)", "VERSION-0", "version-00"] { #expect(lookup[absent] == nil, "\(absent)") }
        #expect(lookup.values.sorted() == Array(0..<count))
    }
}
