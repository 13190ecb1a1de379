import Foundation
import SluiceCore
import SluiceKubernetes
import Testing

/// A shadow step's mirror carries `pairing` (issue 16); pairing is a feature of Sluice's own
/// gateway, so Kubernetes gets the plain mirror it had before (the Gateway API's
/// RequestMirror discards the answers) and the recorded spec keeps the pairing, so the
/// controller does not see drift.
@Suite("Rendering: a shadow step's paired mirror", .timeLimit(.minutes(10)))
struct RenderShadowMirrorTests {
    static let paired = RenderFixtures.fraud(
        [RenderFixtures.v1, RenderFixtures.v2], ["v1": 100, "v2": 0],
        mirror: Route.Mirror(version: "v2", percent: 100, pairing: Route.Mirror.Pairing(tolerances: [0, 0.01])))

    /// The same model with the mirror unpaired.
    static var plain: ModelRuntime {
        var model = paired
        model.route.mirror?.pairing = nil
        return model
    }

    @Test("both drivers render the paired mirror exactly as the plain one, but for the recorded spec", arguments: [KubernetesDriver.gatewayAPI, .kserve])
    func rendersPlain(_ driver: KubernetesDriver) throws {
        let context = RenderFixtures.context(driver)
        let renderer = KubernetesRenderer(context: context)
        let withPairing = try renderer.objects(for: Self.paired, revision: "2222222")
        let without = try renderer.objects(for: Self.plain, revision: "2222222")
        #expect(withPairing.map(\.kind) == without.map(\.kind))
        for (left, right) in zip(withPairing, without) {
            #expect(left["spec"] == right["spec"], "\(left.kind) \(left.name)")
        }
        if driver == .gatewayAPI {
            let route = try #require(withPairing.first { $0.kind == "HTTPRoute" })
            #expect(route["spec"]?.serialized().contains("requestMirror") == true)
        }
        // The recorded spec (what the controller reads back as the running spec) keeps the pairing.
        let recorded = try #require(withPairing.compactMap { $0.annotations[KubernetesAnnotations.runtime] }.first)
        let spec = try RuntimeSpec.decode(json: Array(recorded.utf8))
        #expect(spec.models.first?.route.mirror?.pairing?.tolerances == [0, 0.01])
    }
}
