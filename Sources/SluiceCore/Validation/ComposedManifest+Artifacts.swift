/// One `artifact:` field of a manifest, with where it is written: what
/// `sluice validate --check-artifacts` fetches or reads and reports against.
public struct ArtifactUse: Sendable, Hashable {
    /// The model's name, when readable.
    public var model: String?
    /// The version's name, when readable.
    public var version: String?
    /// The text as written.
    public var text: String
    /// Its typed reading.
    public var reference: ArtifactReference
    /// The version's `digest:` pin, when valid.
    public var digest: Digest?
    /// Where the `artifact` value is written.
    public var location: SourceLocation
}

extension ComposedManifest {
    /// Every version's artifact in every document of the file, in order. Run it on a file
    /// that validated: fields of the wrong type are skipped, not reported.
    public var artifactUses: [ArtifactUse] {
        var uses: [ArtifactUse] = []
        for document in stream.documents {
            let root = document.root
            let model = root["metadata"]?.string("name")
            for version in root["spec"]?.list("versions") ?? [] {
                guard let node = version["artifact"], let text = version.string("artifact") else { continue }
                uses.append(
                    ArtifactUse(
                        model: model, version: version.string("name"), text: text, reference: ArtifactReference.parse(text),
                        digest: version.string("digest").flatMap { Digest.parse($0).value }, location: node.location))
            }
        }
        return uses
    }
}
