import ArgumentParser
import SluiceKubernetes

/// `--backend` of `sluice plan --render`.
enum PlanBackend: String, ExpressibleByArgument, CaseIterable {
    case kubernetes
}

/// `--driver` of `sluice plan --render`: `gateway-api` or `kserve`.
extension KubernetesDriver: @retroactive ExpressibleByArgument {}

/// Earlier specs of the models a plan changes, for fast-rollback detection: walking each
/// model's manifest history back from the base revision, newest first.
enum RollbackHistory {
    /// How far back to look: the largest `rollbackWindow` a manifest may set, plus the current spec.
    static let maximumEntries = 101

    static func digests(
        for target: DesiredState, comparedWith base: DesiredState?, base commit: CommitID?, reader: ManifestReader
    ) async throws(GitError) -> [String: [String]] {
        guard let base, let commit else { return [:] }
        var history: [String: [String]] = [:]
        for (name, model) in target.models {
            guard let before = base.models[name], before.specDigest != model.specDigest else { continue }
            let window = (model.deployment.rollout?.rollbackWindow ?? Planner.defaultRollbackWindow) + 1
            var digests: [String] = []
            for entry in try await reader.source.history(of: before.path, from: commit, limit: min(window, maximumEntries)) {
                guard let blob = entry.blob, let file = try await reader.file(path: before.path, blob: blob),
                    let deployment = file.entries.first(where: { $0.name == name })?.deployment
                else { continue }
                digests.append(deployment.specDigest)
            }
            history[name] = digests
        }
        return history
    }
}

/// Measures phases for `--timing`.
struct PhaseClock {
    let enabled: Bool
    private var last = DispatchTime.now()
    private var phases: [(String, Double)] = []

    init(enabled: Bool) {
        self.enabled = enabled
    }

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = DispatchTime.now()
        phases.append((phase, Double(now.uptimeNanoseconds - last.uptimeNanoseconds) / 1e6))
        last = now
    }

    func report() {
        guard enabled else { return }
        let lines = phases.map { "timing: " + String(format: "%8.2f", $0.1) + " ms  " + $0.0 }
        let total = phases.reduce(0) { $0 + $1.1 }
        FileHandle.standardError.write(Data((lines + [String(format: "timing: %8.2f ms  total", total)]).joined(separator: "\n").utf8 + [10]))
    }
}

extension PlanFormat: ExpressibleByArgument {}
