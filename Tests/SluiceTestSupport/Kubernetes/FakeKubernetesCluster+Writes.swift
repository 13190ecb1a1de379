import SluiceCore
import SluiceKubernetes

/// Create (POST), replace (PUT) and delete, with the registry's checks: AlreadyExists,
/// optimistic concurrency on `metadata.resourceVersion`, and `preconditions.uid` on delete
/// (k8s.io/apiserver/pkg/registry/generic/registry/store.go).
extension FakeKubernetesCluster {
    /// POST to the collection.
    func create(_ kind: ResourceKind, namespace: String, body: JSONValue, manager: String, dryRun: Bool) throws(FakeKubernetesFailure) -> JSONValue {
        guard let name = body["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw FakeKubernetesFailure.invalid(kind, "", field: "metadata.name", detail: "Required value: name or generateName is required")
        }
        try Self.checkIdentity(kind, namespace: namespace, name: name, body: body, requireKind: false)
        try Self.validateName(kind, name)
        let now = FakeKubernetesClock.now()
        return try locked { (state) throws(FakeKubernetesFailure) -> JSONValue in
            try admit(kind, name: name, in: state)
            let key = FakeKubernetesKey(kind: kind, namespace: namespace, name: name)
            guard state.objects[key] == nil else { throw .alreadyExists(kind, name) }
            let json = Self.newObject(kind, namespace: namespace, name: name, from: body)
            let stored = FakeKubernetesStored(
                json: json,
                managers: [manager: FakeKubernetesManager(operation: .update, apiVersion: kind.apiVersion, time: now, paths: Self.ownedPaths(json))])
            if dryRun { return Self.withManagedFields(stored) }
            return commit(key, stored, type: .added, in: &state)
        }
    }

    /// PUT of a whole object; a `metadata.resourceVersion` other than the stored one is a 409
    /// Conflict (none: unconditional, as most built-in kinds allow). `status` is kept.
    func replace(_ kind: ResourceKind, namespace: String, name: String, body: JSONValue, manager: String, dryRun: Bool) throws(FakeKubernetesFailure) -> JSONValue {
        try Self.checkIdentity(kind, namespace: namespace, name: name, body: body, requireKind: false)
        return try locked { (state) throws(FakeKubernetesFailure) -> JSONValue in
            try admit(kind, name: name, in: state)
            let key = FakeKubernetesKey(kind: kind, namespace: namespace, name: name)
            guard let stored = state.objects[key] else { throw .notFound(kind, name) }
            if let wanted = body["metadata"]?["resourceVersion"]?.stringValue, !wanted.isEmpty,
                wanted != stored.json["metadata"]?["resourceVersion"]?.stringValue
            {
                throw .modified(kind, name)
            }
            var json = Self.newObject(kind, namespace: namespace, name: name, from: body)
            var metadata = json["metadata"] ?? .object([])
            for field in ["uid", "creationTimestamp", "generation"] {
                if let value = stored.json["metadata"]?[field] { metadata.fakeSet(field, value) }
            }
            json.fakeSet("metadata", metadata)
            if let status = stored.json["status"] { json.fakeSet("status", status) }
            Self.bumpGeneration(kind, old: stored.json, new: &json)
            let updated = Self.updated(stored, to: json, by: manager, apiVersion: kind.apiVersion)
            if dryRun { return Self.withManagedFields(updated) }
            return commit(key, updated, type: .modified, in: &state)
        }
    }

    /// An `Update` operation's ownership: the writer takes every field it changed or added;
    /// removed fields leave every manager.
    static func updated(_ stored: FakeKubernetesStored, to json: JSONValue, by manager: String, apiVersion: String) -> FakeKubernetesStored {
        var result = FakeKubernetesStored(json: json, managers: stored.managers)
        let before = ownedPaths(stored.json)
        let after = ownedPaths(json)
        let changed = after.filter { !before.contains($0) || stored.json.fakeValue(at: $0) != json.fakeValue(at: $0) }
        for name in result.managers.keys {
            result.managers[name]?.paths.subtract(before.subtracting(after))
            if name != manager { result.managers[name]?.paths.subtract(changed) }
        }
        if !changed.isEmpty {
            var entry = result.managers[manager] ?? FakeKubernetesManager(operation: .update, apiVersion: apiVersion, time: "", paths: [])
            entry.paths.formUnion(changed)
            entry.time = FakeKubernetesClock.now()
            result.managers[manager] = entry
        }
        result.managers = result.managers.filter { !$0.value.paths.isEmpty }
        return result
    }

    /// DELETE; `preconditions.uid` must match. Answers a `Status` of Success, as the registry
    /// does for an object deleted at once (no finalizers).
    func delete(_ kind: ResourceKind, namespace: String, name: String, body: JSONValue?, dryRun: Bool) throws(FakeKubernetesFailure) -> JSONValue {
        let wantedUID = body?["preconditions"]?["uid"]?.stringValue
        let wantedVersion = body?["preconditions"]?["resourceVersion"]?.stringValue
        return try locked { (state) throws(FakeKubernetesFailure) -> JSONValue in
            let key = FakeKubernetesKey(kind: kind, namespace: namespace, name: name)
            guard let stored = state.objects[key] else { throw .notFound(kind, name) }
            let uid = stored.json["metadata"]?["uid"]?.stringValue ?? ""
            if let wantedUID, wantedUID != uid {
                throw .uidPrecondition(kind, name, wanted: wantedUID, actual: uid)
            }
            if let wantedVersion, wantedVersion != stored.json["metadata"]?["resourceVersion"]?.stringValue {
                throw .modified(kind, name)
            }
            if !dryRun {
                commit(key, nil, type: .deleted, in: &state)
                state.revisions[key] = nil
                state.autoscalerRecommendations[key] = nil
            }
            var details = FakeKubernetesFailure.details(kind, name: name)
            details.fakeSet("uid", .string(uid))
            return .object([
                ("kind", .string("Status")), ("apiVersion", .string("v1")), ("metadata", .object([])), ("status", .string("Success")),
                ("details", details),
            ])
        }
    }

    /// A denial by a scripted validating webhook (admission runs on dry runs too).
    func admit(_ kind: ResourceKind, name: String, in state: FakeKubernetesState) throws(FakeKubernetesFailure) {
        guard let rejection = state.rejections[kind] else { return }
        if rejection.code == 422 {
            throw FakeKubernetesFailure.invalid(kind, name, field: "spec", detail: rejection.message)
        }
        throw FakeKubernetesFailure.webhookDenied(webhook: rejection.webhook, message: rejection.message, code: rejection.code)
    }

    /// The body's apiVersion, kind, name and namespace must be those of the URL
    /// (k8s.io/apiserver/pkg/endpoints/handlers: BadRequest otherwise).
    static func checkIdentity(_ kind: ResourceKind, namespace: String, name: String, body: JSONValue, requireKind: Bool) throws(FakeKubernetesFailure) {
        guard body.fakeMembers != nil else { throw .badRequest("the body of the request must be a JSON object") }
        let apiVersion = body["apiVersion"]?.stringValue
        let bodyKind = body["kind"]?.stringValue
        if requireKind || apiVersion != nil, apiVersion != kind.apiVersion {
            throw .badRequest("the API version in the data (\(apiVersion ?? "")) does not match the expected API version (\(kind.apiVersion))")
        }
        if requireKind || bodyKind != nil, bodyKind != kind.kind {
            throw .badRequest("the kind in the data (\(bodyKind ?? "")) does not match the expected kind (\(kind.kind))")
        }
        if let bodyName = body["metadata"]?["name"]?.stringValue, bodyName != name {
            throw .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if requireKind, body["metadata"]?["name"]?.stringValue == nil {
            throw .badRequest("metadata.name: Required value: name is required")
        }
        if let bodyNamespace = body["metadata"]?["namespace"]?.stringValue, bodyNamespace != namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
    }

    /// Name rules (k8s.io/apimachinery/pkg/util/validation): Services need a DNS-1035 label,
    /// the rest a DNS-1123 subdomain; 422 Invalid otherwise.
    static func validateName(_ kind: ResourceKind, _ name: String) throws(FakeKubernetesFailure) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
        let ends = name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
        if kind == .service {
            guard allowed, !name.contains("."), name.count <= 63, name.first?.isLetter == true, ends else {
                throw .invalid(
                    kind, name, field: "metadata.name",
                    detail: "Invalid value: \"\(name)\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
            }
        } else {
            guard allowed, name.count <= 253, ends else {
                throw .invalid(
                    kind, name, field: "metadata.name",
                    detail: "Invalid value: \"\(name)\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
            }
        }
    }
}
