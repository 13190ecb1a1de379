import Foundation
import SluiceStore
import Testing

/// Webhook replay protection in the store: the read a delivery's pass starts on, and the
/// record that decides whether it was new.
@Suite struct WebhookDeliveryStoreTests {
    @Test("a delivery is unknown until recorded; then either of its keys is a replay, until the retention forgets it")
    func deliveries() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/sluice.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ControllerStore(path: path)
        let keys = ["github:d-1", "sig:abc"]
        #expect(try !store.hasDelivery(keys: keys))
        #expect(try store.recordDelivery(keys: keys, at: 10))
        #expect(try store.hasDelivery(keys: keys))
        #expect(try store.hasDelivery(keys: ["sig:abc"]), "the same body under another delivery id")
        #expect(try !store.recordDelivery(keys: ["github:d-2", "sig:abc"], at: 11), "recording still decides: a replay")
        #expect(try !store.hasDelivery(keys: ["github:d-2"]), "a refused replay records nothing")
        #expect(try !store.hasDelivery(keys: []))
        // Reopened (a restart): still known.
        #expect(try ControllerStore(path: path).hasDelivery(keys: ["github:d-1"]))
        // Past the retention, the next record forgets it.
        #expect(try store.recordDelivery(keys: ["github:d-3"], at: 10 + 31 * 86_400))
        #expect(try !store.hasDelivery(keys: keys))
    }
}
