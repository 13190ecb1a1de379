import Foundation
import SluiceCore
import Testing

@Suite("artifact references: what each manifest text names", .timeLimit(.minutes(10)))
struct ArtifactReferenceTests {
    @Test("paths, directories, S3, HTTPS and MLflow parse to their kinds")
    func kinds() {
        #expect(ArtifactReference.parse("models/iris.joblib") == .repositoryFile(path: "models/iris.joblib"))
        #expect(ArtifactReference.parse("models/iris-v2/") == .repositoryDirectory(path: "models/iris-v2"))
        #expect(ArtifactReference.parse("s3://models-bucket/iris/v2/") == .s3(bucket: "models-bucket", key: "iris/v2/"))
        #expect(ArtifactReference.parse("s3://models-bucket/iris/v2.bst") == .s3(bucket: "models-bucket", key: "iris/v2.bst"))
        #expect(ArtifactReference.parse("s3://models-bucket") == .s3(bucket: "models-bucket", key: ""))
        #expect(ArtifactReference.parse("https://example.com/m.tar.gz") == .https(url: "https://example.com/m.tar.gz"))
        #expect(ArtifactReference.parse("https://127.0.0.1:8443/a/b%20c.bin") == .https(url: "https://127.0.0.1:8443/a/b%20c.bin"))
        #expect(ArtifactReference.parse("models:/iris/2") == .mlflow(name: "iris", selector: .version(2)))
        #expect(ArtifactReference.parse("models:/iris@champion") == .mlflow(name: "iris", selector: .alias("champion")))
        #expect(ArtifactReference.parse("gs://bucket/model.bst") == .clusterOnly(scheme: "gs", uri: "gs://bucket/model.bst"))
        #expect(ArtifactReference.parse("hf://org/model@main") == .clusterOnly(scheme: "hf", uri: "hf://org/model@main"))
        #expect(ArtifactReference.parse("pvc://claim/models/iris") == .clusterOnly(scheme: "pvc", uri: "pvc://claim/models/iris"))
        #expect(ArtifactReference.parse("http://example.com/m.bin").problem != nil)
        #expect(ArtifactReference.parse("ftp://example.com/m.bin").problem != nil)
    }

    @Test("a reference prints as written, redacted")
    func description() {
        for text in ["models/iris.joblib", "models/iris/", "s3://bucket/iris/", "https://h.example/m.bin", "models:/iris/2", "models:/iris@champion", "gs://b/m"] {
            #expect(ArtifactReference.parse(text).text == text)
            #expect("\(ArtifactReference.parse(text))" == text)
        }
        #expect("\(ArtifactReference.parse("https://u:secret@h.example/m.bin"))" == "https://REDACTED@h.example/m.bin")
        #expect("\(ArtifactReference.parse("s3://bucket"))" == "s3://bucket/")
    }

    @Test("mutable references are the ones that can name other bytes tomorrow")
    func mutability() {
        #expect(ArtifactReference.parse("s3://bucket/a.bin").isMutable)
        #expect(ArtifactReference.parse("https://h.example/a.bin").isMutable)
        #expect(ArtifactReference.parse("models:/iris@champion").isMutable)
        #expect(!ArtifactReference.parse("models:/iris/3").isMutable)
        #expect(!ArtifactReference.parse("models/iris.joblib").isMutable)
        #expect(!ArtifactReference.parse("models/iris/").isMutable)
    }

    @Test("directories: git trees, S3 prefixes, archives and MLflow models")
    func directories() {
        #expect(ArtifactReference.parse("models/iris/").isDirectory)
        #expect(ArtifactReference.parse("s3://bucket/iris/").isDirectory)
        #expect(ArtifactReference.parse("s3://bucket").isDirectory)
        #expect(!ArtifactReference.parse("s3://bucket/iris.bin").isDirectory)
        #expect(ArtifactReference.parse("https://h.example/m.tgz").isDirectory)
        #expect(ArtifactReference.parse("https://h.example/m.ZIP").isDirectory)
        #expect(!ArtifactReference.parse("https://h.example/m.bin").isDirectory)
        #expect(ArtifactReference.parse("models:/iris/1").isDirectory)
        #expect(ArtifactReference.parse("models/iris.joblib").isInRepository)
        #expect(!ArtifactReference.parse("s3://bucket/x").isInRepository)
    }

    /// Each hostile text is refused with a reason that names what is wrong, holds no control
    /// character and stays short, whatever the input's length.
    @Test(arguments: [
        ("s3://Bucket_Bad/x", "'Bucket_Bad' is not an S3 bucket name"),
        ("s3://ab/x", "is not an S3 bucket name"),
        ("s3://-bucket/x", "is not an S3 bucket name"),
        ("s3://bu..cket/x", "no '..'"),
        ("s3://192.168.0.1/x", "IP address"),
        ("s3://bucket//x", "empty, '.' or '..' segment"),
        ("s3://bucket/a/../b", "empty, '.' or '..' segment"),
        ("s3://bucket/a/.", "empty, '.' or '..' segment"),
        ("s3://user:secret@bucket/x", "carries user info"),
        ("S3://bucket/x", "lowercase"),
        ("s3://bucket/" + String(repeating: "k", count: 1100), "at most 1024"),
        ("models:/iris/0", "'0' is not a model version number"),
        ("models:/iris/01", "is not a model version number"),
        ("models:/iris/+1", "is not a model version number"),
        ("models:/iris/latest", "stages and 'latest' move"),
        ("models:/../x", "a model name holds"),
        ("models:/../1", "a model name holds"),
        ("models:/.hidden/1", "a model name holds"),
        ("models:/iris/1/extra", "a model name holds"),
        ("models:/iris@", "alias"),
        ("models:/iris@a.b", "alias"),
        ("models://iris/1", "is not an MLflow model URI"),
        ("models:iris/1", "is not an MLflow model URI"),
        ("https:///x", "names no host"),
        ("https://", "names no host"),
        ("https://host", "names no file"),
        ("https://host/", "names no file"),
        ("https://host/dir/", "ends in '/'"),
        ("https://user:secret@host/x", "carries user info"),
        ("https://host:0/x", "port"),
        ("https://host:99999/x", "port"),
        ("https://host:/x", "port"),
        ("https://-host/x", "is not a host name"),
        ("https://host./x", "is not a host name"),
        ("https://host/a/../x", "'.' or '..' segment"),
        ("https://host/%2e%2e/x", "'.' or '..' segment"),
        ("https://host/a%zz", "'%' not followed by two hex digits"),
        ("https://host/a?X-Amz-Signature=abc", "'?'"),
        ("http://host/x.bin", "plain http"),
        ("ftp://host/x.bin", "the scheme 'ftp' is not supported"),
        ("sftp://registry/model", "the scheme 'sftp' is not supported"),
        ("file:///etc/passwd", "file:// URIs"),
        ("gs://", "names nothing"),
        ("hf://user:token@org/model", "carries user info"),
        ("s3:bucket/x", "neither a path"),
        ("MODELS:/iris/1", "neither a path"),
        ("models/a\u{1B}[31m.bin", "U+001B"),
        ("models/a\u{0}.bin", "U+0000"),
        ("models/a\nb", "U+000A"),
        ("s3://bucket/a\u{202E}b", "U+202E"),
        ("models/\u{430}.bin", "U+0430"),
        ("", "empty"),
        (String(repeating: "a/", count: 5000) + "x", "bytes long; at most 2048"),
        ("../models/a.bin", "contains '..'"),
        ("/models/a.bin", "absolute path"),
        ("models/-rf", "starting with '-'"),
        (".", "names no file"),
        ("./", "names no file"),
    ])
    func hostileTextIsRefused(text: String, reason: String) throws {
        let reference = ArtifactReference.parse(text)
        let problem = try #require(reference.problem, "accepted: \(text.prefix(80))")
        #expect(problem.contains(reason), "\(text.prefix(80)): \(problem)")
        #expect(problem.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "\(problem)")
        #expect(!problem.contains("secret"), "a credential was quoted: \(problem)")
        #expect(problem.utf8.count < 1400, "reason of \(problem.utf8.count) bytes")
        #expect(reference == .unsupported(text: text, reason: problem))
    }

    /// The JSON Schema pattern that editors check and the parser accept the same texts.
    @Test func schemaPatternAgreesWithTheParser() throws {
        let regex = try NSRegularExpression(pattern: StringFormat.artifact.pattern)
        let samples = [
            "models/a.json", "./models/a.json", "models/iris/", "a+b/c_d-1.tar.gz", "...", ".", "./", "a//b", "models/..a",
            "s3://bucket/model", "s3://bucket", "s3://bucket/", "s3://bucket/p/", "s3://bucket//x", "s3://bucket/a//", "s3://b.c-d/x",
            "s3://Bucket_Bad/x", "s3://192.168.0.1/x", "s3://bu..cket/x", "s3://bucket-/x", "s3://bucket/a/../b", "s3://bucket/..",
            "s3://bucket/" + String(repeating: "k", count: 1024), "s3://bucket/" + String(repeating: "k", count: 1025),
            "https://x/y", "https://h.example:443/a/b%20c", "https://h:0/x", "https://h:65535/x", "https://h:65536/x", "https://h:080/x",
            "https:///x", "https://host", "https://host/", "https://host/a/", "https://u:p@host/x", "https://host/%2E%2e/x",
            "https://host/a%2", "https://host//x", "https://host/a:b@c~d", "https://1.2.3.4/x", "https://-a/x", "https://a-/x",
            "hf://org/model", "hf://org/model@main", "gs://bucket/model.bst", "pvc://claim/m", "gs://", "gs:///x", "hf://u@org/m",
            "models:/iris/1", "models:/iris@champion", "models:/iris/0", "models:/iris/01", "models:/../x", "models:/iris@a.b",
            "models:/a.b-c_d/123456789", "models:/a/1234567890", "models://iris/1", "models:/iris/1/",
            "http://host/x", "ftp://host/x", "S3://bucket/x", "file:///etc/passwd", "FILE:x", "a\\b", "../a", "/etc/passwd", "~/a",
            "a..b/c", "..", "models/..", "m/-x", "a b", "m/\u{1B}x", "", String(repeating: "a", count: 2049), String(repeating: "a", count: 2048),
        ]
        for sample in samples {
            let range = NSRange(sample.startIndex..., in: sample)
            let patternAccepts = regex.firstMatch(in: sample, range: range) != nil
            let parserAccepts = ArtifactReference.parse(sample).problem == nil
            #expect(patternAccepts == parserAccepts, "\"\(sample.prefix(60))\": pattern \(patternAccepts), parser \(parserAccepts)")
        }
    }

    @Test("archive formats are named by the URL path's suffix, not its query")
    func archiveFormats() {
        #expect(ArchiveFormat(url: "https://h/m.tar.gz") == .tarGzip)
        #expect(ArchiveFormat(url: "https://h/m.TGZ") == .tarGzip)
        #expect(ArchiveFormat(url: "https://h/m.zip?x=1") == .zip)
        #expect(ArchiveFormat(url: "https://h/m.bin?f=a.zip") == nil)
        #expect(ArchiveFormat(url: "https://h/m.bin#a.tar.gz") == nil)
    }
}
