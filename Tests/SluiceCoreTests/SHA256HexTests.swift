import Crypto
import SluiceCore
import Testing

/// SHA-256 comes from swift-crypto; Sluice's hex form of it must stay what state directories
/// already hold (spec digests, cache directory names).
@Suite(.timeLimit(.minutes(10))) struct SHA256HexTests {
    /// FIPS 180-4 / NIST vectors, through the hex form.
    @Test func nistVectorsInLowercaseHex() {
        #expect(SHA256.hexDigest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hexDigest(of: Array(twoBlocks.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every byte value maps to its two digits (0x00 → "00", 0x0f → "0f", 0xff → "ff").
    @Test func hexHasTwoDigitsPerByte() {
        let digest = SHA256.hash(data: Array("abc".utf8))
        #expect(digest.hex.count == 64)
        #expect(digest.hex == digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined())
        #expect(digest.hex.allSatisfy { "0123456789abcdef".contains($0) })
    }

    /// A spec digest computed by earlier releases (stored in state directories as
    /// `desiredDigest`, `stableHistory`, `failedDigests`): the same manifest must give the same
    /// digest, or every model would look changed after an upgrade.
    @Test func specDigestOfEarlierReleasesIsUnchanged() throws {
        let deployment = try PlanFixtures.deployment(PlanDigestTests.block)
        #expect(deployment.canonicalSpecJSON == Self.canonicalJSON)
        #expect(deployment.specDigest == "sha256:decad01cbddd2d6648df5526398a1ba955e72d9b374cb10b61777c009427b61f")
    }

    /// The canonical form, pinned too: a digest change must be seen to come from here or from the hash.
    static let canonicalJSON = [
        #"{"monitors":[{"action":"alert","consecutiveWindows":1,"max":0.3,"metric":"prediction_drift","minSamp"#,
        #"les":100,"name":"drift","reference":"baselines/p.json","severity":"warning","test":"hellinger","wind"#,
        #"ow":"1h"},{"action":"alert","consecutiveWindows":1,"max":3.5,"metric":"mae","minSamples":100,"name":"#,
        #""mae","severity":"warning","window":"30m"}],"rollout":{"analysis":{"checks":[{"against":"reference","#,
        #""inputs":["amount","country"],"max":0.1,"metric":"input_drift","reference":"baselines/a.json","test""#,
        #":"jensen_shannon"},{"against":"stable","max":80,"maxRatioToStable":1.5,"metric":"latency_p95_ms"}],""#,
        #"consecutiveErrorLimit":4,"failureLimit":2,"inconclusiveLimit":0,"interval":"45s","minRequests":100},"#,
        #""onAbort":"rollback","progressDeadline":"10m","rollbackWindow":5,"steps":[{"weight":5},{"pause":"1h3"#,
        #"0m"},{"approval":{}},{"weight":60}]},"routing":{"mirror":{"percent":5,"version":"v2"},"stickyHeader""#,
        #":"x-user-id"},"runtime":"python-v2","traffic":{"v1":100,"v2":0},"versions":[{"artifact":"models/v1.j"#,
        #"son","digest":"sha256:abababababababababababababababababababababababababababababababab","name":"v1"}"#,
        #",{"artifact":"s3://bucket/v2.bst","name":"v2"}]}"#,
    ].joined()
}
