import ArgumentParser
import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit

extension Sluice {
    /// `sluice rollback`: rolls a model back in git, as a reviewed-looking revert commit.
    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Roll a model back in git: revert the last change to its manifest, or restore it from a revision.",
            discussion: """
                Finds the last commit that changed MODEL's manifest and commits its revert on the branch \
                (only that manifest is reverted), or with --to restores the manifest as it was at REV. \
                The result is validated before committing; a revert that does not apply cleanly, a \
                branch that moved meanwhile, or an invalid result is refused and nothing is committed. \
                Exit status: 0 committed, 1 refused or failed, 64 usage error.
                """
        )

        @Argument(help: "The model (metadata.name) to roll back.")
        var model: String

        @OptionGroup var repository: RepositoryOptions

        @Option(help: "The branch to commit on (default: the checked-out branch, or the remote's default branch).")
        var branch: String?

        @Option(name: .customLong("to"), help: "Restore the manifest as it was at this revision instead of reverting the last change.")
        var target: String?

        @Option(name: .customLong("commit"), help: "Revert this commit's change to the manifest instead of the last one.")
        var commitToRevert: String?

        @Flag(help: "Push the branch to origin afterwards (required for a remote repository).")
        var push = false

        @Option(help: ArgumentHelp(
            "Who the commit is by, as 'Name <email>' (default: Sluice <sluice@HOSTNAME>; git's user.name and user.email are not used).",
            valueName: "name <email>"))
        var author: String?

        @Option(help: "Overrides the name of --author.")
        var committerName: String?

        @Option(help: "Overrides the email of --author.")
        var committerEmail: String?

        @Option(
            help: "The operator's config file: the commit is signed with its controller.git.signing key, so that it passes controller.verify.",
            completion: .file(extensions: ["yaml", "yml"]))
        var config: String?

        func validate() throws {
            if target != nil, commitToRevert != nil {
                throw ValidationError("--to and --commit cannot be used together: --to restores a revision, --commit reverts one commit")
            }
            _ = try identity()
        }

        /// The author and committer: --author (or Sluice's own identity), with the parts
        /// --committer-name and --committer-email override.
        func identity() throws(ValidationError) -> GitIdentity {
            var identity = GitIdentity.sluice()
            if let author {
                do {
                    identity = try GitIdentity(parsing: author)
                } catch {
                    throw ValidationError("--author: \(error.message)")
                }
            }
            identity.name = committerName ?? identity.name
            identity.email = committerEmail ?? identity.email
            if let problem = GitIdentity.problems(name: identity.name, email: identity.email).first {
                let option = problem.field == .name ? "--committer-name" : "--committer-email"
                throw ValidationError("\(option): \(problem.message)")
            }
            return identity
        }

        func run() async throws {
            do {
                let source = try repository.openSource()
                guard let branch = try await resolvedBranch(source) else {
                    throw GitError.refused("HEAD is not on a branch; name one with --branch")
                }
                let identity = try identity()
                let reader = ManifestReader(source: source, directory: repository.path)
                let signer = try await signer()
                let rollback = ManifestRollback(
                    model: model, branch: branch, target: target, commitToRevert: commitToRevert, identity: identity, push: push,
                    signer: signer)
                let outcome: ManifestRollback.Outcome
                do {
                    outcome = try await rollback.run(reader: reader)
                    await signer?.close()
                } catch {
                    await signer?.close()
                    throw error
                }
                if let reverted = outcome.reverted {
                    print("Reverted \(reverted.short) for \(model) (\(outcome.path)): committed \(outcome.commit.short) on \(branch)")
                } else if let restoredFrom = outcome.restoredFrom {
                    print("Restored \(outcome.path) for \(model) as at \(restoredFrom.short): committed \(outcome.commit.short) on \(branch)")
                }
                if outcome.pushed { print("Pushed \(branch) to origin") }
            } catch {
                FileHandle.standardError.write(Data("sluice rollback: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }

        /// The signer of `controller.git.signing` in --config; nil without --config or that section.
        private func signer() async throws -> CommitSigner? {
            guard let config else { return nil }
            guard let signing = try loadControllerConfig(config).gitSigning else { return nil }
            do {
                return try await CommitSigner.prepare(format: signing.format, keyFile: signing.keyFile)
            } catch {
                throw GitError.refused("controller.git.signing.keyFile: \(error.message)")
            }
        }

        private func resolvedBranch(_ source: GitSource) async throws -> String? {
            if let branch { return branch }
            return await source.defaultBranch()
        }
    }
}
