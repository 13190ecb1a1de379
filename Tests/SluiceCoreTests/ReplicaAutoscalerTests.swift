import SluiceCore
import Testing

/// The autoscaler fed as the supervisor feeds it, one sample per 100 ms tick, on a clock the
/// test moves.
@Suite("replica autoscaler", .timeLimit(.minutes(10)))
struct ReplicaAutoscalerTests {
    /// An autoscaler with its own clock and the replica count it last recommended.
    struct Run {
        var autoscaler: ReplicaAutoscaler
        var now = ContinuousClock.now
        var completed = 0
        var replicas: Int
        var reasons: [ScaleReason] = []

        init(_ scaling: ReplicaScaling) {
            autoscaler = ReplicaAutoscaler(scaling: scaling)
            replicas = scaling.minReplicas
        }

        /// `seconds` of ticks with `inFlight` requests in flight and `perSecond` completed.
        mutating func run(seconds: Double, inFlight: Int, perSecond: Int = 0) {
            let ticks = Int(seconds * 10)
            for tick in 0..<ticks {
                now += .milliseconds(100)
                // Whole requests per tick, spread so that a second holds exactly `perSecond`.
                completed += perSecond * (tick % 10 + 1) / 10 - perSecond * (tick % 10) / 10
                autoscaler.observe(inFlight: inFlight, completed: completed, at: now)
                let recommendation = autoscaler.recommend(current: replicas, at: now)
                if let reason = recommendation.reason { reasons.append(reason) }
                replicas = recommendation.replicas
            }
        }
    }

    static let scaling = ReplicaScaling(minReplicas: 1, maxReplicas: 8, target: .concurrency(4), scaleDownDelay: .seconds(60))

    @Test("load above the target adds replicas within the load window: ceil(load / target)")
    func rise() {
        var run = Run(Self.scaling)
        run.run(seconds: 5, inFlight: 2)
        #expect(run.replicas == 1)
        run.run(seconds: 3, inFlight: 10)
        #expect(run.replicas == 3)
        #expect(run.reasons.allSatisfy { $0 == .load })
        #expect(run.autoscaler.load == 10)
    }

    @Test("a short burst does not add a replica; load exactly at the target is one replica's worth")
    func burst() {
        var run = Run(Self.scaling)
        run.run(seconds: 3, inFlight: 4)
        #expect(run.replicas == 1)
        run.run(seconds: 3, inFlight: 2)
        run.run(seconds: 0.1, inFlight: 20)
        run.run(seconds: 3, inFlight: 2)
        #expect(run.replicas == 1)
        #expect(run.reasons.isEmpty)
    }

    @Test("replicas stay through scaleDownDelay after load falls, then go to what the last delay asked for")
    func holdThenFall() {
        var run = Run(Self.scaling)
        run.run(seconds: 5, inFlight: 14)
        #expect(run.replicas == 4)
        run.run(seconds: 50, inFlight: 0)
        #expect(run.replicas == 4, "held within the delay")
        run.run(seconds: 15, inFlight: 0)
        #expect(run.replicas == 1, "down once every recommendation of the last minute was 1")
        #expect(run.reasons.last == .idle)
    }

    @Test("scaling down goes to the highest recommendation of the delay, not straight to the minimum")
    func stepsDown() {
        var run = Run(Self.scaling)
        run.run(seconds: 5, inFlight: 30)
        #expect(run.replicas == 8)
        run.run(seconds: 30, inFlight: 10)
        #expect(run.replicas == 8)
        run.run(seconds: 45, inFlight: 0)
        #expect(run.replicas == 3, "the 10-in-flight stretch is still within the last minute")
        run.run(seconds: 40, inFlight: 0)
        #expect(run.replicas == 1)
    }

    @Test("never below minReplicas nor above maxReplicas; more load than maxReplicas serve is flagged")
    func clamps() {
        var run = Run(ReplicaScaling(minReplicas: 2, maxReplicas: 3, target: .concurrency(1), scaleDownDelay: .seconds(1)))
        run.run(seconds: 5, inFlight: 0)
        #expect(run.replicas == 2)
        run.run(seconds: 5, inFlight: 50)
        #expect(run.replicas == 3)
        #expect(run.autoscaler.recommend(current: 3, at: run.now).cappedByMaximum)
        run.run(seconds: 5, inFlight: 0)
        #expect(run.replicas == 2)
    }

    @Test("new bounds apply at the next recommendation, reason bounds")
    func bounds() {
        var run = Run(Self.scaling)
        run.run(seconds: 1, inFlight: 0)
        run.autoscaler.scaling = ReplicaScaling(minReplicas: 3, maxReplicas: 5)
        run.run(seconds: 0.1, inFlight: 0)
        #expect(run.replicas == 3)
        #expect(run.reasons == [.bounds])
        run.autoscaler.scaling = ReplicaScaling(minReplicas: 1, maxReplicas: 2, scaleDownDelay: .seconds(60))
        run.run(seconds: 0.1, inFlight: 0)
        #expect(run.replicas == 2, "down to the new maximum at once")
    }

    @Test("an rps target counts completed requests per second over the load window")
    func rps() {
        var run = Run(ReplicaScaling(minReplicas: 1, maxReplicas: 10, target: .rps(100), scaleDownDelay: .seconds(10)))
        run.run(seconds: 5, inFlight: 1, perSecond: 90)
        #expect(run.replicas == 1)
        run.run(seconds: 5, inFlight: 1, perSecond: 450)
        #expect(run.replicas == 5)
        #expect(abs(run.autoscaler.load - 450) < 1)
        run.run(seconds: 15, inFlight: 0, perSecond: 0)
        #expect(run.replicas == 1)
    }
}
