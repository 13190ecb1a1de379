import SluiceCore
import Testing

/// Manifests and desired states the plan tests share.
enum PlanFixtures {
    static let rollout = """
          rollout:
            steps:
              - weight: 10
              - pause: 5m
              - weight: 50
              - approval: {}
            analysis:
              interval: 30s
              minRequests: 200
              failureLimit: 1
              checks:
                - {metric: error_rate, max: 0.01}
                - {metric: latency_p99_ms, max: 120}
                - {metric: latency_p99_ms, maxRatioToStable: 1.2}
                - {metric: prediction_drift, test: psi, max: 0.2, against: stable}
            onAbort: revert

        """

    static let monitors = """
          monitors:
            - name: errors
              metric: error_rate
              max: 0.05
              window: 5m
              severity: critical
              action: rollback

        """

    /// v2.1 alone at 100%.
    static let v21 = """
            - name: v2.1
              artifact: models/fraud-v2.1.json

        """

    /// v2.1 and v2.2 declared.
    static let v21v22 = v21 + """
            - name: v2.2
              artifact: models/fraud-v2.2.json

        """

    /// A fraud-detector manifest; each part is indented as the spec expects.
    static func fraud(
        versions: String = v21, traffic: String = "{v2.1: 100}", rollout: String = rollout, monitors: String = monitors,
        labels: String = "{team: risk}", runtime: String = "python-v2"
    ) -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: fraud-detector
          labels: \(labels)
        spec:
          runtime: \(runtime)
          versions:
        \(versions)  traffic: \(traffic)
        \(rollout)\(monitors)
        """
    }

    /// A one-version model without a rollout.
    static func iris(artifact: String = "models/iris-v1.json", name: String = "iris-classifier") -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: \(name)
        spec:
          runtime: python-v2
          versions:
            - name: v1
              artifact: \(artifact)

        """
    }

    /// Validates `yaml` as the file `path`.
    static func file(_ path: String, _ yaml: String) -> ManifestFile {
        ManifestValidator().validate(bytes: Array(yaml.utf8), path: path)
    }

    /// The desired state of files given as (path, YAML) pairs.
    static func state(_ revision: String, _ files: [(String, String)]) -> DesiredState {
        DesiredState(revision: revision, files: files.map { file($0.0, $0.1) })
    }

    /// The decoded deployment of a manifest that must be valid (else the test fails, and
    /// the others in the process still run).
    static func deployment(_ yaml: String) throws -> ModelDeployment {
        let result = file("m.yaml", yaml)
        try #require(result.isValid, "fixture is invalid: \(result.diagnostics.map(\.message))")
        return try #require(result.entries.first?.deployment)
    }
}
