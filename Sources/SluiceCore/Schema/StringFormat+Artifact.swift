extension StringFormat {
    /// The JSON Schema pattern of an `artifact:` text: the same rules as
    /// ``ArtifactReferenceParser``, alternative by alternative, so an editor flags what
    /// `sluice validate` refuses (the agreement is tested on hostile samples).
    static let artifactPattern: String = {
        let segment = #"([-A-Za-z0-9._~:@+=,]|%[0-9A-Fa-f]{2})"#
        let label = "[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
        let port = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
        let s3Segment = #"(?!\.\.?(/|$))[-A-Za-z0-9._~:@%+=,]+"#
        let alternatives = [
            // A path in the repository: no leading '/', no '..', no segment starting with '-',
            // not only '.' segments.
            #"(?!/)(?!(.*/)?\.\.(/|$))(?!(.*/)?-)(?!(\.?/+)*\.?$)[-A-Za-z0-9._+/]+"#,
            // s3://BUCKET[/KEY]: S3's bucket rules, a key of at most 1024 bytes without empty, '.' or '..' segments.
            #"s3://(?!\d+\.\d+\.\d+\.\d+(/|$))(?![-.a-z0-9]*(\.\.|\.-|-\.))[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]"#
                + "(/(?=.{0,1024}$)(\(s3Segment)/)*(\(s3Segment))?)?",
            // https://HOST[:PORT]/PATH: no user info, a path naming a file, no dot segments.
            "https://(?![^/:]{254})\(label)(\\.\(label))*(:\(port))?"
                + #"/(?!(.*/)?(\.|%2[eE]){1,2}(/|$))"# + "(\(segment)*/)*\(segment)+",
            // A cluster runtime's URI: something before the first '/', and no user info.
            #"(gs|hf|pvc)://[-A-Za-z0-9._~:%+=,]+(/[-A-Za-z0-9._~:/@%+=,]*)?"#,
            // MLflow: models:/NAME/VERSION or models:/NAME@ALIAS.
            #"models:/[A-Za-z0-9][-A-Za-z0-9._]{0,255}(/[1-9][0-9]{0,8}|@[A-Za-z0-9][-A-Za-z0-9_]{0,255})"#,
        ]
        return "^(?=[!-~]{1,2048}$)(" + alternatives.map { "(\($0))" }.joined(separator: "|") + ")$"
    }()
}
