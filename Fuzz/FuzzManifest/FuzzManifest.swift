import SluiceCore

/// libFuzzer entry point: one manifest file through the YAML composer, the schema and
/// semantic validation, the decoder, the cross-file rules and every report format, as
/// `sluice validate` and the controller run them.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file = ManifestValidator().validate(bytes: bytes, path: "manifests/fuzz.yaml")
    let copy = ManifestValidator(decodesModels: false).validate(bytes: bytes, path: "manifests/copy.yaml")
    let report = ValidationReport(files: [file, copy])
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for format in OutputFormat.allCases {
        let renderer = DiagnosticRenderer(format: format) { _, line in line >= 1 && line <= lines.count ? lines[line - 1] : nil }
        _ = renderer.render(report)
    }
    return 0
}
