import SluiceCore
import Testing

/// The directory digest's definition, pinned by a vector computed independently with
/// Python's hashlib (the listing below, then sha256 of it):
///
///     files = {"b.txt": b"hello\n", "a/c.bin": b"", "A.txt": b"x", "é.txt": b"accent"}
///     listing = "sluice-directory-v1\n" + "".join(
///         f"{hashlib.sha256(d).hexdigest()} {len(d)} {p}\n" for p, d in sorted(files.items(), key=lambda i: i[0].encode()))
///     hashlib.sha256(listing.encode()).hexdigest()
@Suite("directory digest: one definition", .timeLimit(.minutes(10)))
struct ArtifactDirectoryDigestTests {
    static let entries = [
        DirectoryDigest.Entry(path: "b.txt", size: 6, sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"),
        DirectoryDigest.Entry(path: "a/c.bin", size: 0, sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        DirectoryDigest.Entry(path: "\u{E9}.txt", size: 6, sha256: "a3a7f053ae2eadb1fb93bcbd4a39b00985b64ede4f337d64025982f9efb97f54"),
        DirectoryDigest.Entry(path: "A.txt", size: 1, sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
    ]

    @Test func matchesTheIndependentVector() {
        #expect(DirectoryDigest.digest(Self.entries).description == "sha256:95f4251a2f64a221ca87824ac015408b40145613cbe2d211ad9b7a63200c9391")
    }

    @Test func listingIsSortedByUTF8BytesWithTheHeaderFirst() {
        let lines = DirectoryDigest.listing(Self.entries).split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(lines == ["sluice-directory-v1", "A.txt", "a/c.bin", "b.txt", "\u{E9}.txt"])
    }

    @Test func orderOfInputDoesNotMatterButContentDoes() {
        #expect(DirectoryDigest.digest(Self.entries.reversed()) == DirectoryDigest.digest(Self.entries))
        var changed = Self.entries
        changed[0].size = 7
        #expect(DirectoryDigest.digest(changed) != DirectoryDigest.digest(Self.entries))
        var renamed = Self.entries
        renamed[1].path = "a/d.bin"
        #expect(DirectoryDigest.digest(renamed) != DirectoryDigest.digest(Self.entries))
        // An empty directory still has a digest: that of the header alone.
        #expect(DirectoryDigest.digest([]).hex == "833fd9c5eb0ea56b917069b66bfb3bec345ab646018f8c9d94ac2a1016591b67")
    }
}
