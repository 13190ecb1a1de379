import SluiceCore
import Testing

/// A version's share of the model's replica bounds, by its share of traffic.
@Suite(.timeLimit(.minutes(10))) struct ReplicaScalingShareTests {
    static let model = ReplicaScaling(minReplicas: 4, maxReplicas: 8, target: .rps(50), scaleDownDelay: .seconds(120))

    func bounds(_ scaling: ReplicaScaling) -> [Int] { [scaling.minReplicas, scaling.maxReplicas] }

    @Test func fullTrafficGetsTheBoundsAsWritten() {
        #expect(Self.model.share(percent: 100) == Self.model)
    }

    @Test func aShareIsRoundedUpWithAtLeastOneReplica() {
        #expect(bounds(Self.model.share(percent: 25)) == [1, 2])
        #expect(bounds(Self.model.share(percent: 10)) == [1, 1])
        #expect(bounds(Self.model.share(percent: 50)) == [2, 4])
        #expect(bounds(Self.model.share(percent: 51)) == [3, 5])
        #expect(bounds(Self.model.share(percent: 1)) == [1, 1])
        let shared = Self.model.share(percent: 25)
        #expect(shared.target == .rps(50) && shared.scaleDownDelay == .seconds(120), "the target and delay are the model's")
    }

    @Test func aVersionKeptWarmRunsOneMoreOnlyForMirroredCopies() {
        #expect(bounds(Self.model.share(percent: 0)) == [1, 1])
        #expect(bounds(Self.model.share(percent: 0, mirrored: 50)) == [1, 4])
        #expect(bounds(Self.model.share(percent: 0, mirrored: 5)) == [1, 1])
        #expect(bounds(Self.model.share(percent: 25, mirrored: 25)) == [1, 4])
        #expect(bounds(Self.model.share(percent: 90, mirrored: 50)) == [4, 8], "never above the model's bounds")
    }

    @Test func coveringTakesTheLargerOfEachBound() {
        let covering = ReplicaScaling(minReplicas: 1, maxReplicas: 6).covering(ReplicaScaling(minReplicas: 3, maxReplicas: 4))
        #expect(bounds(covering) == [3, 6])
    }
}
