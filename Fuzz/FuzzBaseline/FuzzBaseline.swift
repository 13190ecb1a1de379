import SluiceCore

/// libFuzzer entry point: a drift baseline file (`sluice drift --baseline`, a monitor's
/// `baseline:`), then scored against itself. A baseline that decodes must survive its own
/// serialization.
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
    // A monitor compares live traffic with the baseline: score each feature against itself
    // with every test, as `sluice drift` and the controller do.
    for entry in baseline.entries {
        for test in [nil] + DriftTest.allCases.map(Optional.some) {
            let data = entry.data(for: test)
            _ = try? DriftComparator.score(feature: entry.name, reference: data, current: data, test: test, threshold: nil)
        }
    }
    let text = baseline.serialized()
    do {
        _ = try DriftBaseline(bytes: Array(text.utf8))
    } catch {
        fatalError("a decoded baseline does not decode after serialization: \(error)\n\(text)")
    }
    return 0
}
