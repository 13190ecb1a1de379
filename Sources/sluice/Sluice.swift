import ArgumentParser

/// The `sluice` command: GitOps for ML models.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "GitOps for ML models: validate, plan and reconcile model deployments declared in git.",
        version: SluiceVersion.current,
        subcommands: [Validate.self, Plan.self, Rollback.self, Schema.self, Serve.self, Controller.self, Up.self, Status.self, History.self, Promote.self, Abort.self, Retry.self, Approve.self, Drift.self, BaselineCommand.self, ArtifactCommand.self, CLIReference.self]
    )

    /// ArgumentParser's own entry point, except that the operands of `sluice validate` bypass
    /// its quadratic positional parsing (see ``ValidatePathArguments``).
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let split = ValidatePathArguments(arguments) else { return await main(arguments) }
        do {
            // `validate ...` parses to `Validate` or throws (help, usage errors).
            guard var validate = try await asyncParseAsRoot(split.remainder) as? Validate else { return await main(arguments) }
            validate.paths = split.paths
            try await validate.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// The version this binary reports.
enum SluiceVersion {
    static let current = "0.1.0"
}
