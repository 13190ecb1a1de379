import SluiceCore

/// libFuzzer entry point: a V2 inference request or response body through the JSON parser
/// and the tensor reader, as the gateway reads them for samples and monitoring. A parsed
/// body must serialize to JSON that parses again.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzInference(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let body = try? JSONParser.parse(bytes) else { return 0 }
    _ = InferenceTensors.features(in: body, member: "inputs")
    _ = InferenceTensors.features(in: body, member: "outputs", limit: 3)
    let text = body.serialized()
    do {
        _ = try JSONParser.parse(text)
    } catch {
        fatalError("serialized JSON does not parse: \(error)\n\(text)")
    }
    return 0
}
