import SluiceCore
import SluiceKubernetes

/// Server-side apply for the fields Sluice uses, after the upstream semantics
/// (https://kubernetes.io/docs/reference/using-api/server-side-apply/ and
/// k8s.io/apimachinery/pkg/util/managedfields/internal/conflict.go):
/// - an apply sets every field of the applied document, and removes the fields the same manager
///   applied before and no longer applies, unless another manager also owns them;
/// - fields of other managers are kept: objects (maps) merge key by key, recursively;
/// - lists are replaced atomically. Real SSA merges keyed lists (`containers` by `name`,
///   `ports` by `containerPort`) item by item; the fake treats every list as one field;
/// - a field another manager owns with a different value is a conflict (409) unless `force=true`,
///   which takes the field over;
/// - `status` in the applied body is ignored (status is a subresource);
/// - an apply that changes nothing stores nothing (no new resourceVersion, no watch event);
/// - a removed field with a default gets it back (a Deployment's `spec.replicas` → 1).
extension FakeKubernetesCluster {
    /// PATCH with `Content-Type: application/apply-patch+yaml`.
    func apply(
        _ kind: ResourceKind, namespace: String, name: String, body: JSONValue, manager: String, force: Bool, dryRun: Bool
    ) throws(FakeKubernetesFailure) -> (code: Int, object: JSONValue) {
        try Self.checkIdentity(kind, namespace: namespace, name: name, body: body, requireKind: true)
        let applied = Self.appliedDocument(body)
        let paths = Self.ownedPaths(applied)
        let now = FakeKubernetesClock.now()
        return try locked { (state) throws(FakeKubernetesFailure) -> (code: Int, object: JSONValue) in
            try admit(kind, name: name, in: state)
            let key = FakeKubernetesKey(kind: kind, namespace: namespace, name: name)
            guard var stored = state.objects[key] else {
                try Self.validateName(kind, name)
                let json = Self.newObject(kind, namespace: namespace, name: name, from: applied)
                let created = FakeKubernetesStored(
                    json: json, managers: [manager: FakeKubernetesManager(operation: .apply, apiVersion: kind.apiVersion, time: now, paths: paths)])
                if dryRun { return (201, Self.withManagedFields(created)) }
                return (201, commit(key, created, type: .added, in: &state))
            }
            if let wanted = body["metadata"]?["resourceVersion"]?.stringValue, !wanted.isEmpty,
                wanted != stored.json["metadata"]?["resourceVersion"]?.stringValue
            {
                throw .modified(kind, name)
            }
            let conflicts = Self.conflicts(of: manager, paths: paths, applied: applied, in: stored)
            if !conflicts.isEmpty, !force { throw Self.applyConflict(conflicts, kind: kind, name: name, in: stored) }
            for conflict in conflicts {
                let owned = stored.managers[conflict.manager]?.paths ?? []
                stored.managers[conflict.manager]?.paths.subtract(Self.related(conflict.path, in: owned))
            }
            var json = stored.json
            let others = stored.managers.filter { $0.key != manager }.values.reduce(into: Set<[String]>()) { $0.formUnion($1.paths) }
            for path in (stored.managers[manager]?.paths ?? []).subtracting(paths) where Self.related(path, in: others).isEmpty {
                json.fakeRemove(at: ArraySlice(path))
            }
            json = json.fakeMerging(applied)
            Self.applyDefaults(kind, to: &json)
            Self.bumpGeneration(kind, old: stored.json, new: &json)
            let ownershipChanged = stored.managers[manager]?.paths != paths || !conflicts.isEmpty
            let unchanged = json == stored.json && !ownershipChanged
            stored.json = json
            let previousTime = stored.managers[manager]?.time ?? now
            stored.managers[manager] = FakeKubernetesManager(
                operation: .apply, apiVersion: kind.apiVersion, time: unchanged ? previousTime : now, paths: paths)
            stored.managers = stored.managers.filter { !$0.value.paths.isEmpty }
            if unchanged || dryRun { return (200, Self.withManagedFields(stored)) }
            return (200, commit(key, stored, type: .modified, in: &state))
        }
    }

    /// The applied body as the fields it sets: no status, no server metadata.
    static func appliedDocument(_ body: JSONValue) -> JSONValue {
        var applied = body
        applied.fakeRemove("status")
        var metadata = JSONValue.object([])
        for (key, value) in body["metadata"]?.fakeMembers ?? [] where userMetadataKeys.contains(key) || key == "name" || key == "namespace" {
            metadata.fakeSet(key, value)
        }
        applied.fakeSet("metadata", metadata)
        return applied
    }

    /// The paths in `set` equal to `path`, inside it, or containing it.
    static func related(_ path: [String], in set: Set<[String]>) -> Set<[String]> {
        set.filter { $0 == path || $0.starts(with: path) || path.starts(with: $0) }
    }

    /// A field another manager owns whose applied value differs from the stored one.
    struct Conflict {
        var manager: String
        var path: [String]
    }

    static func conflicts(of manager: String, paths: Set<[String]>, applied: JSONValue, in stored: FakeKubernetesStored) -> [Conflict] {
        var found: [Conflict] = []
        for (other, entry) in stored.managers.sorted(by: { $0.key < $1.key }) where other != manager {
            for path in paths.sorted(by: { $0.joined(separator: ".") < $1.joined(separator: ".") })
            where !related(path, in: entry.paths).isEmpty && stored.json.fakeValue(at: path) != applied.fakeValue(at: path) {
                found.append(Conflict(manager: other, path: path))
            }
        }
        return found
    }

    /// The upstream 409 of a conflicting apply (conflict.go `NewConflictError`):
    /// `Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas`, or for several
    /// `Apply failed with 2 conflicts: conflicts with "kubectl" using apps/v1:\n- .spec.a\n- .spec.b`;
    /// details.causes has one `FieldManagerConflict` per field.
    static func applyConflict(_ conflicts: [Conflict], kind: ResourceKind, name: String, in stored: FakeKubernetesStored) -> FakeKubernetesFailure {
        func manager(_ name: String) -> String {
            guard let entry = stored.managers[name], entry.operation == .update else { return "\"\(name)\"" }
            return "\"\(name)\" using \(entry.apiVersion)"
        }
        func field(_ path: [String]) -> String { "." + path.joined(separator: ".") }
        let message: String
        if conflicts.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(manager(conflicts[0].manager)): \(field(conflicts[0].path))"
        } else {
            var lines: [String] = []
            for name in Set(conflicts.map(\.manager)).sorted() {
                lines.append("conflicts with \(manager(name)):")
                lines += conflicts.filter { $0.manager == name }.map { "- \(field($0.path))" }
            }
            message = "Apply failed with \(conflicts.count) conflicts: \(lines.joined(separator: "\n"))"
        }
        let causes: [JSONValue] = conflicts.map {
            .object([
                ("type", .string("FieldManagerConflict")), ("message", .string("conflict with \(manager($0.manager))")),
                ("field", .string(field($0.path))),
            ])
        }
        return FakeKubernetesFailure(code: 409, reason: "Conflict", message: message, details: FakeKubernetesFailure.details(kind, name: name, causes: causes))
    }
}
