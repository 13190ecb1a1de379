import SluiceCore
import Testing

@Suite("artifact redaction: what of a URI may be shown", .timeLimit(.minutes(10)))
struct ArtifactRedactionTests {
    @Test(arguments: [
        ("s3://bucket/models/iris/", "s3://bucket/models/iris/"),
        ("https://host.example/a/model.bin", "https://host.example/a/model.bin"),
        ("https://user:secret@host.example/a.bin", "https://REDACTED@host.example/a.bin"),
        ("https://token@host.example:8443/a.bin", "https://REDACTED@host.example:8443/a.bin"),
        ("https://a@b@host.example/a.bin", "https://REDACTED@host.example/a.bin"),
        (
            "https://bucket.s3.amazonaws.com/m.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=deadbeef",
            "https://bucket.s3.amazonaws.com/m.bin?REDACTED"
        ),
        ("https://host/m.bin?sig=abc#frag", "https://host/m.bin?REDACTED"),
        ("https://host/m.bin#access_token=abc", "https://host/m.bin"),
        ("https://host/m.bin#x?token=abc", "https://host/m.bin"),
        ("https://host?token=abc", "https://host?REDACTED"),
        ("https://u:p@host?token=abc", "https://REDACTED@host?REDACTED"),
        ("HTTPS://u:p@host/x", "HTTPS://REDACTED@host/x"),
        ("hf://org/model@main", "hf://org/model@main"),
        ("models:/iris@champion", "models:/iris@champion"),
        ("models/iris.joblib", "models/iris.joblib"),
        ("models/iris.joblib?token=abc", "models/iris.joblib?REDACTED"),
        ("//user:pw@host/x", "//REDACTED@host/x"),
        ("mlflow-artifacts:/1/abc/artifacts?x=1", "mlflow-artifacts:/1/abc/artifacts?REDACTED"),
        ("https://host/a\nforged log line", "https://host/a%0Aforged%20log%20line"),
        ("https://host/\u{1B}[2J", "https://host/%1B[2J"),
        ("https://host/caf\u{E9}", "https://host/caf%C3%A9"),
    ])
    func display(uri: String, shown: String) {
        #expect(ArtifactRedaction.display(uri) == shown)
    }

    @Test func secretsNeverSurvive() {
        let secrets = ["secret", "AKIDEXAMPLE", "deadbeef", "abc"]
        for uri in [
            "https://user:secret@h/x", "https://h/x?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=deadbeef", "https://h/x#abc",
            "https://user:secret@h\\@evil/x", "s3://secret@bucket/x?abc",
        ] {
            let shown = ArtifactRedaction.display(uri)
            for secret in secrets { #expect(!shown.contains(secret), "\(uri) → \(shown)") }
        }
    }

    @Test func veryLongTextIsCut() {
        let shown = ArtifactRedaction.display("https://host/" + String(repeating: "a", count: 100_000))
        #expect(shown.utf8.count <= ArtifactRedaction.maxLength + 4)
        #expect(shown.hasSuffix("…"))
    }
}
