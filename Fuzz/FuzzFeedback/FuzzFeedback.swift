import SluiceCore

/// libFuzzer entry point: a `POST /v2/models/{model}/feedback` body through the JSON
/// parser and the feedback reader, then the labels into a tally as the gateway counts them.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzFeedback(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let body = try? JSONParser.parse(bytes) else { return 0 }
    do {
        let items = try Feedback.parse(body)
        var tally = LabelTally()
        for item in items {
            for label in item.labels { tally.add(label: label, prediction: item.labels[0]) }
        }
    } catch {
        _ = error.description
    }
    return 0
}
