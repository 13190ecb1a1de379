import Foundation
import SluiceArtifacts
import SluiceCore
import Testing

@Suite("SigV4 signing: AWS's published S3 examples", .timeLimit(.minutes(10)))
struct S3SigV4SignerTests {
    /// The example key pair of AWS's "Signature Calculations for the Authorization Header" page.
    static let example = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 20130524T000000Z.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)

    @Test("GET Object example (Range: bytes=0-9): canonical request, string to sign and signature as documented")
    func getObject() {
        let signer = SigV4Signer(credentials: Self.example, region: "us-east-1", service: "s3")
        let signed = signer.sign(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [], headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signed.headers.map(\.name) == ["x-amz-date", "x-amz-content-sha256", "authorization"])
    }

    @Test("GET Bucket (List Objects) example: query parameters sorted and encoded")
    func listObjects() {
        let signer = SigV4Signer(credentials: Self.example, region: "us-east-1", service: "s3")
        let signed = signer.sign(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == "max-keys=2&prefix=J")
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("session token is signed and sent; encoded key and query agree with botocore's S3SigV4Auth")
    func sessionTokenAndEncoding() {
        var credentials = Self.example
        credentials.sessionToken = "SESSIONTOKEN/+="
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let path = "/" + SigV4Signer.uriEncode("a b/c~d.txt", keepSlash: true)
        #expect(path == "/a%20b/c~d.txt")
        let signed = signer.sign(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: path, query: [("list-type", "2"), ("prefix", "x/y")], headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == "SESSIONTOKEN/+=" })
        #expect(signed.authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        // Computed with botocore 1.x S3SigV4Auth for the same request (an independent implementation).
        #expect(signed.signature == "8c871b9316a62dbca8b8faf8f1630c25bb9d4c17b42a319f4242a2575c1c7df9")
    }

    @Test("URI encoding: unreserved bytes kept, everything else %XX upper-case, UTF-8 by byte")
    func encoding() {
        #expect(SigV4Signer.uriEncode("AZaz09-_.~", keepSlash: false) == "AZaz09-_.~")
        #expect(SigV4Signer.uriEncode("a/b c+d=é", keepSlash: false) == "a%2Fb%20c%2Bd%3D%C3%A9")
        #expect(SigV4Signer.uriEncode("a/b", keepSlash: true) == "a/b")
    }
}
