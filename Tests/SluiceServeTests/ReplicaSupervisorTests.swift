import Foundation
import SluiceConfig
import SluiceCore
import Testing
@testable import SluiceServe

/// Replicas in the supervisor, with real processes and the supervisor's clock moved by hand:
/// a version with `scaling` runs several processes, each on its own port with its own log;
/// new bounds never restart a running replica; the process cap is shared and reported; and
/// the autoscaler adds replicas under load and removes them after the delay.
@Suite("supervisor: replicas", .serialized, .timeLimit(.minutes(10)))
struct ReplicaSupervisorTests {
    static func replicas(_ plane: DataPlaneFixture, _ version: String = "v1") async -> ObservedReplicas? {
        await plane.version(version)?.replicas
    }

    @Test("minReplicas 3 runs three processes, each ready on its own port with its own log file; requests spread over them")
    func threeReplicas() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], scaling: #"{"minReplicas":3,"maxReplicas":3}"#))
            try await plane.stepUntil("three ready") { await Self.replicas(plane)?.ready == 3 }
            let replicas = try #require(await Self.replicas(plane))
            #expect(replicas.desired == 3)
            #expect(replicas.minReplicas == 3 && replicas.maxReplicas == 3)
            let processes = try #require(replicas.processes)
            #expect(processes.map(\.index) == [0, 1, 2])
            #expect(Set(processes.compactMap(\.port)).count == 3)
            #expect(Set(processes.compactMap(\.pid)).count == 3)
            let version = try #require(await plane.version("v1"))
            #expect(version.state == .ready && version.ready == true)
            #expect(processes.contains { $0.pid == version.pid })
            let logs = plane.directory.appendingPathComponent("state/logs")
            for name in ["m--v1.log", "m--v1--r1.log", "m--v1--r2.log"] {
                #expect(FileManager.default.fileExists(atPath: logs.appendingPathComponent(name).path), "\(name)")
            }
            let table = await plane.dataPlane.supervisor.routeTable
            #expect(table.models["m"]?.ready["v1"]?.targets.count == 3)

            // Requests held in flight land on different replicas: the less loaded one wins.
            try plane.flag("v1", "hold")
            let held = (0..<12).map { _ in Task { try await plane.infer() } }
            try await plane.stepUntil("twelve in flight", advancing: .zero) { await plane.version("v1")?.inFlight == 12 }
            let perReplica = try #require(await Self.replicas(plane)?.processes).compactMap(\.inFlight)
            #expect(perReplica.allSatisfy { $0 > 0 }, "in flight per replica: \(perReplica)")
            try plane.flag("v1", "hold", false)
            for task in held { #expect(try await task.value.status == 200) }
        }
    }

    @Test("new bounds never restart a running replica: fewer drain the highest index, more add new ones")
    func boundsChange() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], scaling: #"{"minReplicas":3,"maxReplicas":3}"#))
            try await plane.stepUntil("three ready") { await Self.replicas(plane)?.ready == 3 }
            let pids = try #require(await Self.replicas(plane)?.processes).compactMap(\.pid)

            try await plane.apply(DataPlaneFixture.spec(["v1": 100], revision: "r2", scaling: #"{"minReplicas":2,"maxReplicas":2}"#))
            try await plane.stepUntil("replica 2 stopped") {
                let retiring = await plane.retiring("v1")
                let count = await Self.replicas(plane)?.processes?.count
                return retiring == nil && count == 2
            }
            #expect(try #require(await Self.replicas(plane)?.processes).compactMap(\.pid) == Array(pids.prefix(2)))
            #expect(plane.didLog("m/v1#2: scaled down; draining"))

            try await plane.apply(DataPlaneFixture.spec(["v1": 100], revision: "r3", scaling: #"{"minReplicas":4,"maxReplicas":4}"#))
            try await plane.stepUntil("four ready") { await Self.replicas(plane)?.ready == 4 }
            let now = try #require(await Self.replicas(plane)?.processes)
            #expect(Array(now.compactMap(\.pid).prefix(2)) == Array(pids.prefix(2)), "replicas 0 and 1 kept running")
            #expect(now.allSatisfy { $0.restarts == 0 })

            let state = await plane.dataPlane.observed()
            let events = try #require(state.scaleEvents)
            #expect(events.map(\.reason) == [.bounds, .bounds])
            #expect(events.map { [$0.from, $0.to] } == [[3, 2], [2, 4]])
            #expect(events.map(\.sequence) == [1, 2])
            #expect(events.first?.message == "v1: 3 → 2 replicas (bounds now 2–2)")
            #expect(state.instance?.isEmpty == false)
            #expect(state.processes == ObservedState.ProcessCount(running: 4, maximum: ServeConfig.defaultMaxProcesses))
        }
    }

    @Test("serve.maxProcesses 3 with two versions wanting 2 each: 3 processes, the second version held back and reported")
    func cap() async throws {
        try await DataPlaneFixture.with(maxProcesses: 3) { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 50, "v2": 50], scaling: #"{"minReplicas":2,"maxReplicas":2}"#))
            try await plane.stepUntil("three ready") {
                let v1 = await Self.replicas(plane, "v1")?.ready ?? 0
                let v2 = await Self.replicas(plane, "v2")?.ready ?? 0
                return v1 + v2 == 3
            }
            let state = await plane.dataPlane.observed()
            #expect(state.processes == ObservedState.ProcessCount(running: 3, maximum: 3, withheld: 1))
            let v1 = try #require(await Self.replicas(plane, "v1"))
            let v2 = try #require(await Self.replicas(plane, "v2"))
            #expect(v1.desired == 2 && v1.limitedBy == nil)
            #expect(v2.desired == 1 && v2.limitedBy == .maxProcesses)
            #expect(plane.logged.filter { $0.contains("serve.maxProcesses (3) reached") }.count == 1)
            let metrics = try await plane.request(.GET, port: plane.inferencePort, "/metrics")
            #expect(metrics.text.contains("sluice_model_processes 3"))
            #expect(metrics.text.contains("sluice_model_processes_max 3"))
            #expect(metrics.text.contains(#"sluice_replicas{model="m",version="v2",state="desired"} 1"#))

            // The first version leaves: the second gets its second replica (reason cap).
            try await plane.apply(DataPlaneFixture.spec(["v2": 100], revision: "r2", scaling: #"{"minReplicas":2,"maxReplicas":2}"#))
            try await plane.stepUntil("v2 has two ready") { await Self.replicas(plane, "v2")?.ready == 2 }
            #expect(await Self.replicas(plane, "v2")?.limitedBy == nil)
            #expect(await plane.dataPlane.observed().scaleEvents?.last?.reason == .cap)
            #expect(plane.didLog("no longer holds any version back"))
        }
    }

    @Test("load above the target adds replicas at once; when it stops they go after scaleDownDelay")
    func autoscales() async throws {
        try await DataPlaneFixture.with { plane in
            let scaling = #"{"minReplicas":1,"maxReplicas":4,"target":{"concurrency":2},"scaleDownDelay":"30s"}"#
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], scaling: scaling))
            try await plane.stepUntil("ready") { await plane.ready("v1") }
            try plane.flag("v1", "hold")
            let held = (0..<6).map { _ in Task { try await plane.infer() } }
            try await plane.stepUntil("six in flight", advancing: .zero) { await plane.version("v1")?.inFlight == 6 }
            try await plane.stepUntil("three replicas wanted") { await Self.replicas(plane)?.desired == 3 }
            // The average over the load window rises tick by tick: 1 → 2 → 3, or 1 → 3 at once.
            let ups = try #require(await plane.dataPlane.observed().scaleEvents)
            #expect(ups.allSatisfy { $0.reason == .load && $0.to > $0.from }, "\(ups)")
            let up = try #require(ups.last)
            #expect(up.to == 3)
            #expect(up.message.hasPrefix("v1: \(up.from) → 3 replicas ("), "\(up.message)")
            #expect(up.message.hasSuffix(" in flight per replica, target 2)"), "\(up.message)")
            try plane.flag("v1", "hold", false)
            let released = plane.now
            for task in held { #expect(try await task.value.status == 200) }
            try await plane.stepUntil("three ready") { await Self.replicas(plane)?.ready == 3 }

            // Idle: held for the delay (30 s of supervisor time), then down to one.
            try await plane.stepUntil("back to one", advancing: .seconds(1)) { await Self.replicas(plane)?.desired == 1 }
            #expect(plane.now - released >= .seconds(30))
            // Down as the load window's average fell: 3 → 1, or 3 → 2 → 1.
            let downs = try #require(await plane.dataPlane.observed().scaleEvents).filter { $0.to < $0.from }
            #expect(!downs.isEmpty && downs.allSatisfy { $0.reason == .idle }, "\(downs)")
            #expect(downs.first?.from == 3 && downs.last?.to == 1)
            let metrics = try await plane.request(.GET, port: plane.inferencePort, "/metrics")
            #expect(metrics.text.contains(#"sluice_scale_events_total{model="m",version="v1",direction="up"} \#(ups.count)"#))
            #expect(metrics.text.contains(#"sluice_scale_events_total{model="m",version="v1",direction="down"} \#(downs.count)"#))
        }
    }

    @Test("a new artifact starts a new set of replicas; the old ones keep serving until every new one is ready, then drain")
    func newArtifact() async throws {
        try await DataPlaneFixture.with { plane in
            let scaling = #"{"minReplicas":2,"maxReplicas":2}"#
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], scaling: scaling))
            try await plane.stepUntil("two ready") { await Self.replicas(plane)?.ready == 2 }
            let oldPids = Set(try #require(await Self.replicas(plane)?.processes).compactMap(\.pid))
            try Data("{}".utf8).write(to: plane.directory.appendingPathComponent("model-2.json"))
            // Readiness answers 503 from now on: the new replicas are probed every tick and
            // stay Starting; the old ones, probed once a second, are not probed again while
            // the clock stays within that second.
            try plane.flag("v1", "unready")
            let newSpec = DataPlaneFixture.spec(["v1": 100], revision: "r2", scaling: scaling)
                .replacingOccurrences(of: "model.json", with: "model-2.json")
            try await plane.apply(newSpec)
            try await plane.stepUntil("two new replicas started", advancing: .zero) {
                let processes = await Self.replicas(plane)?.processes ?? []
                return processes.count == 2 && processes.allSatisfy { $0.pid != nil && !oldPids.contains($0.pid ?? 0) }
            }
            for _ in 0..<5 {
                plane.advance(.milliseconds(100))
                await plane.step()
            }
            let serving = await plane.dataPlane.supervisor.routeTable.models["m"]?.ready["v1"]?.targets.count
            #expect(serving == 2, "the old replicas serve while the new ones start")
            #expect(Set(await plane.model()?.retiring?.compactMap(\.pid) ?? []) == oldPids)
            #expect(try await plane.infer().status == 200)

            try plane.flag("v1", "unready", false)
            try await plane.stepUntil("new replicas ready, old ones gone") {
                let ready = await Self.replicas(plane)?.ready
                let retiring = await plane.model()?.retiring
                return ready == 2 && retiring == nil
            }
            #expect(plane.didLog("m/v1: removed from the spec; draining"))
            #expect(plane.didLog("m/v1#1: removed from the spec; draining"))
        }
    }

    @Test("with the cap full, a new artifact's replicas wait for the old ones to stop instead of exceeding it")
    func newArtifactUnderCap() async throws {
        try await DataPlaneFixture.with(maxProcesses: 2) { plane in
            let scaling = #"{"minReplicas":2,"maxReplicas":2}"#
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], scaling: scaling))
            try await plane.stepUntil("two ready") { await Self.replicas(plane)?.ready == 2 }
            try Data("{}".utf8).write(to: plane.directory.appendingPathComponent("model-2.json"))
            try await plane.apply(
                DataPlaneFixture.spec(["v1": 100], revision: "r2", scaling: scaling).replacingOccurrences(of: "model.json", with: "model-2.json"))
            var most = 0
            try await plane.stepUntil("the new replicas ready, the old ones gone") {
                let state = await plane.dataPlane.observed()
                most = max(most, state.processes?.running ?? 0)
                let ready = await Self.replicas(plane)?.ready
                let retiring = await plane.model()?.retiring
                return ready == 2 && retiring == nil
            }
            #expect(most <= 2, "at most serve.maxProcesses processes at any pass: \(most)")
            #expect(try await plane.infer().status == 200)
        }
    }

    @Test("a request to a replica that just died is retried on another replica of the same version, also when the version was named")
    func retriesOnSibling() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], scaling: #"{"minReplicas":2,"maxReplicas":2}"#))
            try await plane.stepUntil("two ready") { await Self.replicas(plane)?.ready == 2 }
            for _ in 0..<4 { #expect(try await plane.infer(version: "v1").status == 200) }
            try await plane.kill(pid: await Self.replicas(plane)?.processes?.last?.pid)
            // No supervision pass runs: the dead replica is still in the routes, and every
            // request that draws it gets no answer and goes to the other one.
            for _ in 0..<12 {
                let answer = try await plane.infer(version: "v1")
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.servedBy == "v1")
            }
            #expect(await plane.dataPlane.supervisor.routeTable.models["m"]?.ready["v1"]?.targets.count == 2)
        }
    }

    @Test("the cap is shared fairly: one replica per weighted version, then minReplicas, then weight-0 versions, then the rest in turn")
    func sharing() {
        func share(_ wants: [(Int, Int, Bool)], cap: Int) -> [Int] {
            ProcessCap.share(wants.map { ProcessCap.Want(replicas: $0.0, minReplicas: $0.1, weighted: $0.2) }, cap: cap)
        }
        #expect(share([(2, 2, true), (2, 2, true)], cap: 3) == [2, 1])
        #expect(share([(5, 2, true), (3, 3, true), (1, 1, false)], cap: 4) == [2, 2, 0])
        #expect(share([(5, 2, true), (3, 3, true), (1, 1, false)], cap: 6) == [2, 3, 1])
        #expect(share([(5, 2, true), (3, 3, true), (2, 1, false)], cap: 9) == [4, 3, 2])
        #expect(share([(5, 2, true), (3, 3, true), (1, 1, false)], cap: 64) == [5, 3, 1])
        #expect(share([(1, 1, false), (3, 1, true)], cap: 1) == [0, 1])
    }
}
