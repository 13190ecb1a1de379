import Foundation
import NIOConcurrencyHelpers
import SluiceCore
import Testing

@testable import SluiceServe

/// The gateway reads a model's routes without a lock, from the table its thread read last
/// while no newer one is published: what it reads must still be the box's newest table,
/// never another box's, never older than one it read before, and a replaced table must be
/// freed once the threads that read it read again.
@Suite("routing table box")
struct RoutingTableBoxTests {
    static func table(_ model: String, revision: String = "r") -> RoutingTable {
        let spec = ModelRuntime(name: model, versions: [VersionRuntime(name: "v1", runtime: "python-v2", artifact: "models/a.json")], route: Route(weights: ["v1": 100]))
        return RoutingTable(revision: revision, models: [model: ModelRoutes(spec: spec, picker: VersionPicker(model: spec), ready: [:])])
    }

    @Test("one thread reading two boxes in turn gets each box's newest table")
    func twoBoxesOnOneThread() {
        let first = RoutingTableBox()
        let second = RoutingTableBox()
        first.publish(Self.table("fraud"))
        second.publish(Self.table("churn"))
        for _ in 0..<3 {
            #expect(first.routes(of: "fraud") != nil)
            #expect(first.routes(of: "churn") == nil)
            #expect(second.routes(of: "churn") != nil)
            #expect(second.routes(of: "fraud") == nil)
        }
        let replaced = Self.table("ranking")
        first.publish(replaced)
        #expect(first.routes(of: "fraud") == nil, "the next read sees what was published")
        #expect(first.routes(of: "ranking") === replaced.routes(of: "ranking"))
        #expect(second.routes(of: "churn") != nil)
        let fresh = RoutingTableBox()
        #expect(fresh.routes(of: "ranking") == nil, "a new box starts empty, whatever the thread read before")
    }

    @Test("a replaced table is freed once the thread that read it reads again")
    func replacedTablesAreFreed() {
        let box = RoutingTableBox()
        weak var old: RoutingTable?
        do {
            let table = Self.table("fraud")
            old = table
            box.publish(table)
        }
        #expect(box.routes(of: "fraud") != nil)
        box.publish(Self.table("fraud", revision: "s"))
        #expect(box.routes(of: "fraud") != nil)
        #expect(old == nil, "neither the box nor the thread holds the table it replaced")
    }

    /// Readers on four threads while the table is replaced 2,000 times: no reader ever reads
    /// an older table after a newer one, and once publishing stops each reads the last.
    @Test("reads race publications and never go back to an older table")
    func concurrentReadsMoveForward() {
        let box = RoutingTableBox()
        let tables = (0..<2_000).map { Self.table("fraud", revision: "\($0)") }
        let order = Dictionary(uniqueKeysWithValues: tables.enumerated().map { (ObjectIdentifier($0.element.routes(of: "fraud")!), $0.offset) })
        box.publish(tables[0])
        let backwards = NIOLockedValueBox(0)
        let lastSeen = NIOLockedValueBox([Int]())
        let done = NIOLockedValueBox(false)
        let group = DispatchGroup()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                var newest = 0
                var reads = 0
                while !done.withLockedValue({ $0 }) || reads < 1_000 {
                    let seen = order[ObjectIdentifier(box.routes(of: "fraud")!)]!
                    if seen < newest { backwards.withLockedValue { $0 += 1 } }
                    newest = max(newest, seen)
                    reads += 1
                }
                let final = order[ObjectIdentifier(box.routes(of: "fraud")!)]!
                lastSeen.withLockedValue { $0.append(final) }
            }
        }
        for table in tables.dropFirst() {
            box.publish(table)
            usleep(20)
        }
        done.withLockedValue { $0 = true }
        group.wait()
        #expect(backwards.withLockedValue { $0 } == 0)
        #expect(lastSeen.withLockedValue { $0 } == [1_999, 1_999, 1_999, 1_999])
    }
}
