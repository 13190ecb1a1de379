import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceCore

extension KubernetesBackend {
    /// The label marking a rollout-state ConfigMap.
    static let rolloutStateLabel = "sluice.dev/rollout-state"

    /// The ConfigMap name of `model`'s rollout state.
    static func rolloutStateName(_ model: String) -> String {
        "sluice-rollout-\(KubernetesNames.modelObject(model: model))"
    }

    public func storeRolloutStates(_ states: [RolloutState]) async throws(DataPlaneError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for rollout in states {
            let json: String
            do {
                json = String(decoding: try encoder.encode(rollout), as: UTF8.self)
            } catch {
                throw DataPlaneError(.unreadable, "the rollout state of \(rollout.name) cannot be encoded: \(error)")
            }
            let object = KubernetesObject(.object([
                ("apiVersion", .string("v1")), ("kind", .string("ConfigMap")),
                ("metadata", .object([
                    ("name", .string(Self.rolloutStateName(rollout.name))), ("namespace", .string(namespace)),
                    ("labels", .object([
                        (KubernetesLabels.managedBy, .string(KubernetesLabels.managerName)),
                        (KubernetesLabels.model, .string(rollout.name)), (Self.rolloutStateLabel, .string("true")),
                    ])),
                ])),
                ("data", .object([("model", .string(rollout.name)), ("state", .string(json))])),
            ]))
            do {
                _ = try await client.apply(object)
            } catch {
                throw DataPlaneError(Self.dataPlaneKind(error), "the rollout state of \(rollout.name) cannot be stored in the cluster: \(error)")
            }
        }
    }

    public func removeRolloutStates(_ models: [String]) async throws(DataPlaneError) {
        let cached = try await cachedObjects([.configMap])
        for model in models {
            let name = Self.rolloutStateName(model)
            guard let object = cached.first(where: { $0.name == name }), object.isManagedBySluice else { continue }
            do {
                try await client.delete(.configMap, namespace: namespace, name: name, uid: object.uid)
            } catch {
                throw DataPlaneError(Self.dataPlaneKind(error), "the rollout state of \(model) cannot be removed from the cluster: \(error)")
            }
        }
    }

    public func rolloutStates() async throws(DataPlaneError) -> [String: RolloutState] {
        var states: [String: RolloutState] = [:]
        for object in try await cachedObjects([.configMap]) where object.labels[Self.rolloutStateLabel] == "true" && object.isManagedBySluice {
            guard let model = object["data", "model"]?.stringValue, let text = object["data", "state"]?.stringValue,
                  let decoded = try? JSONDecoder().decode(RolloutState.self, from: Data(text.utf8)), decoded.name == model else {
                logger.warning("ConfigMap \(object.name) holds no readable rollout state; ignored")
                continue
            }
            states[model] = decoded
        }
        return states
    }
}
