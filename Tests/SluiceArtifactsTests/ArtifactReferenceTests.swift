import SluiceCore
import Testing

@Suite("artifact references: what each manifest text names")
struct ArtifactReferenceTests {
    @Test("paths, directories, S3, HTTPS and MLflow parse to their kinds")
    func kinds() {
        #expect(ArtifactReference.parse("models/iris.joblib") == .repositoryFile(path: "models/iris.joblib"))
        #expect(ArtifactReference.parse("models/iris-v2/") == .repositoryDirectory(path: "models/iris-v2"))
        #expect(ArtifactReference.parse("s3://models-bucket/iris/v2/") == .s3(bucket: "models-bucket", key: "iris/v2/"))
        #expect(ArtifactReference.parse("https://example.com/m.tar.gz") == .https(url: "https://example.com/m.tar.gz"))
        #expect(ArtifactReference.parse("models:/iris/2") == .mlflow(name: "iris", selector: .version(2)))
        #expect(ArtifactReference.parse("models:/iris@champion") == .mlflow(name: "iris", selector: .alias("champion")))
        #expect(ArtifactReference.parse("http://example.com/m.bin").problem != nil)
        #expect(ArtifactReference.parse("ftp://example.com/m.bin").problem != nil)
    }
}
