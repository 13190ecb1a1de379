import Foundation
import SluiceCore

extension LeaderElector {
    /// The election fields of a Lease's spec (client-go's LeaderElectionRecord).
    struct LeaseRecord: Equatable, Sendable {
        var holderIdentity = ""
        var leaseDurationSeconds = 0
        var acquireTime = ""
        var renewTime = ""
        var leaseTransitions = 0

        init(holderIdentity: String = "", leaseDurationSeconds: Int = 0, acquireTime: String = "", renewTime: String = "", leaseTransitions: Int = 0) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }

        /// The record of a stored Lease; hostile values are bounded (a duration of at most a
        /// day, transitions not negative).
        init(_ lease: KubernetesObject) {
            holderIdentity = lease["spec", "holderIdentity"]?.stringValue ?? ""
            leaseDurationSeconds = min(max(lease["spec", "leaseDurationSeconds"]?.intValue ?? 0, 0), 86_400)
            acquireTime = lease["spec", "acquireTime"]?.stringValue ?? ""
            renewTime = lease["spec", "renewTime"]?.stringValue ?? ""
            leaseTransitions = min(max(lease["spec", "leaseTransitions"]?.intValue ?? 0, 0), Int(Int32.max) - 1)
        }

        /// The Lease `spec` holding this record (an empty holder is written as "", as client-go does).
        var spec: JSONValue {
            var members: [(String, JSONValue)] = [("holderIdentity", .string(holderIdentity)), ("leaseDurationSeconds", .int(leaseDurationSeconds))]
            if !acquireTime.isEmpty { members.append(("acquireTime", .string(acquireTime))) }
            if !renewTime.isEmpty { members.append(("renewTime", .string(renewTime))) }
            members.append(("leaseTransitions", .int(leaseTransitions)))
            return .object(members)
        }
    }

    /// A new Lease object holding `record`, marked as Sluice's.
    static func newLease(name: String, namespace: String, record: LeaseRecord) -> KubernetesObject {
        KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.lease.apiVersion)), ("kind", .string(ResourceKind.lease.kind)),
            ("metadata", .object([
                ("name", .string(name)), ("namespace", .string(namespace)),
                ("labels", .object([(KubernetesLabels.managedBy, .string(KubernetesLabels.managerName))])),
            ])),
            ("spec", record.spec),
        ]))
    }

    /// `lease` (its metadata and resourceVersion kept, for an optimistic replace) with `record` as its spec.
    static func lease(_ lease: KubernetesObject, with record: LeaseRecord) -> KubernetesObject {
        guard case .object(var members) = lease.json else { return lease }
        members.removeAll { $0.0 == "spec" || $0.0 == "status" }
        members.append(("spec", record.spec))
        return KubernetesObject(.object(members))
    }

    /// A Kubernetes MicroTime: `2006-01-02T15:04:05.000000Z` (UTC, microseconds).
    static func microTime(_ date: Date) -> String {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let date = CivilDate(daysSinceEpoch: Int(days))
        let (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }
}
