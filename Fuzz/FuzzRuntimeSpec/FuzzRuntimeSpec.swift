import SluiceCore

/// libFuzzer entry point: a runtime spec (`PUT /admin/spec`, the spec file `sluice serve`
/// reloads). A spec that decodes must survive its own serialization, since the controller
/// compares the running spec by decoding what the data plane serialized.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRuntimeSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let spec: RuntimeSpec
    do {
        spec = try RuntimeSpec.decode(json: bytes)
    } catch {
        _ = error.description
        return 0
    }
    let text = spec.jsonValue.serialized()
    do {
        let again = try RuntimeSpec.decode(json: Array(text.utf8))
        guard again == spec else { fatalError("runtime spec changed on a serialization round trip: \(text)") }
    } catch {
        fatalError("a decoded runtime spec does not decode after serialization: \(error)\n\(text)")
    }
    return 0
}
