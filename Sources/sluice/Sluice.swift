import ArgumentParser

/// The `sluice` command: GitOps for ML models.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "GitOps for ML models: validate, plan and reconcile model deployments declared in git.",
        version: SluiceVersion.current,
        subcommands: [Validate.self, Plan.self, Rollback.self, Schema.self, Serve.self, Controller.self, Up.self, Status.self, History.self, Promote.self, Abort.self, Retry.self, Approve.self, Drift.self, BaselineCommand.self, ArtifactCommand.self]
    )
}

/// The version this binary reports.
enum SluiceVersion {
    static let current = "0.1.0"
}
