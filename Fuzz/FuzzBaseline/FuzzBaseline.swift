import SluiceCore

/// libFuzzer entry point: a drift baseline file (`sluice drift --baseline`, a monitor's
/// `baseline:`). A baseline that decodes must survive its own serialization.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzBaseline(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let baseline: DriftBaseline
    do {
        baseline = try DriftBaseline(bytes: bytes)
    } catch {
        _ = error.description
        return 0
    }
    for entry in baseline.entries { _ = entry.data(for: nil) }
    let text = baseline.serialized()
    do {
        _ = try DriftBaseline(bytes: Array(text.utf8))
    } catch {
        fatalError("a decoded baseline does not decode after serialization: \(error)\n\(text)")
    }
    return 0
}
