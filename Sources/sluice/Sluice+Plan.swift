import ArgumentParser
import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceKubernetes

extension Sluice {
    /// `sluice plan`: what changes between two revisions, and what the controller will do.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Show what changes between two revisions of the manifests and what the controller will do.",
            discussion: """
                Compares the desired state at --from (default: the first parent of --to) with the one at \
                --to (default: HEAD): models added or removed, versions, weights, rollouts and monitors, \
                and the action for each (deploy, canary of N steps, switch, promote, fast rollback, \
                update, prune). Exit status: 0 no changes, 1 changes, 2 error (including invalid \
                manifests at --to), as `argocd app diff` and `flux diff` do.

                Only commits are read by default: run before committing, the plan is of the last \
                commit, and a note says so when the working tree has uncommitted manifest changes. \
                With --working-tree, plans a local repository's uncommitted changes instead (edited, \
                added, untracked and deleted manifests under --path) against HEAD.

                Lists the commits from --from (excluded) to --to with their signatures: verified, unsigned, \
                unknown key or bad signature, checked with the keys of `controller.verify` when --config \
                names a file that has that section (docs/controller.md, Signed commits).

                With --backend kubernetes --render, also prints the Kubernetes objects each changed \
                model would be applied as (YAML, `---`-separated), at its rollout's first step, using \
                the `backend:` and `runtimes:` of --config. See docs/kubernetes-objects.md.
                """
        )

        @OptionGroup var repository: RepositoryOptions

        @OptionGroup var index: ManifestIndexOptions

        @Option(help: "The base revision (default: the first parent of --to; nothing deployed for a root commit).")
        var from: String?

        @Option(help: "The target revision.")
        var to: String = "HEAD"

        @Flag(help: "Plan the uncommitted changes of a local repository's working tree against HEAD (not with --from or --to).")
        var workingTree = false

        @Option(help: "text, json or markdown (for a pull-request comment).")
        var format: PlanFormat = .text

        @Flag(help: "Show unchanged models too.")
        var all = false

        @Flag(help: "Allow a target that declares no models to prune every model.")
        var allowEmpty = false

        @Flag(help: "Print how long each phase took to standard error.")
        var timing = false

        @Option(help: "The backend to render for with --render: kubernetes.")
        var backend: PlanBackend?

        @Flag(help: "Print the objects the change would apply on --backend (kubernetes), after the plan.")
        var render = false

        @Option(
            help: "The operator's config file: its backend and runtimes for --render; its controller.verify keys check the commits' signatures (when the file exists).",
            completion: .file(extensions: ["yaml", "yml"]))
        var config: String = "sluice.yaml"

        @Option(help: "The driver to render for when backend.driver is auto (gateway-api or kserve); plan never contacts the cluster.")
        var driver: KubernetesDriver?

        func validate() throws {
            if render, backend != .kubernetes { throw ValidationError("--render needs --backend kubernetes") }
            if backend != nil, !render { throw ValidationError("--backend is only used with --render") }
            if driver != nil, !render { throw ValidationError("--driver is only used with --render") }
            if workingTree, from != nil || to != "HEAD" {
                throw ValidationError("--working-tree plans the working tree against HEAD; it cannot be used with --from or --to")
            }
        }

        func run() async throws {
            var clock = PhaseClock(enabled: timing)
            var plan: SluiceCore.Plan
            let renderContext = render ? try kubernetesContext() : nil
            var rendered: (from: DesiredState?, to: DesiredState)?
            // Never freed (below).
            var readerKeptAlive: ManifestReader?
            do {
                let source = try repository.openSource()
                try await source.fetch()
                clock.mark("open and fetch")
                let validator = ManifestValidator()
                let reader = ManifestReader(source: source, directory: repository.path, validator: validator)
                readerKeptAlive = reader
                let manifestIndex = index.index(for: repository, validator: validator)
                if let manifestIndex {
                    switch manifestIndex.load() {
                    case .success(let entries):
                        await reader.useIndex(entries)
                        clock.mark("read the manifest index (\(entries.count) files)")
                    case .failure(let rejection):
                        clock.mark("manifest index not used: \(rejection)")
                    }
                }
                var fromState: DesiredState?
                var toState: DesiredState
                let base: CommitID?
                let subject: PlanSubject
                var notes: [String] = []
                var commits: [PlanCommit] = []
                var signatureNotes: [String] = []
                if workingTree {
                    guard await source.hasWorkingTree else {
                        throw GitError.refused("--working-tree needs a local repository with a working tree; --repo names a remote or a bare repository")
                    }
                    let head: CommitID
                    do {
                        head = try await source.resolve("HEAD")
                    } catch {
                        throw GitError.refused("--working-tree plans against HEAD, which names no commit yet; commit once first")
                    }
                    base = head
                    subject = PlanSubject(target: .workingTree, base: .head, directory: repository.manifestsDirectory)
                    let changed = try await reader.workingTreeManifests(against: head)
                    clock.mark("read HEAD and the working tree (\(changed.filesRead) files read)")
                    fromState = DesiredState(revision: head.short, files: changed.before)
                    fromState?.unchangedElsewhere = changed.unchangedBefore
                    toState = DesiredState(revision: "working tree", files: changed.after)
                    toState.unchangedElsewhere = changed.unchangedAfter
                } else {
                    let target = try await source.resolve(to)
                    base = if let from { try await source.resolve(from) } else { try await source.firstParent(of: target) }
                    subject = PlanSubject(
                        target: .commit(reference: to), base: from.map { PlanSubject.Base.reference($0) } ?? (base == nil ? .nothing : .firstParent),
                        directory: repository.manifestsDirectory)
                    (fromState, toState) = try await committedStates(base: base, target: target, reader: reader, clock: &clock)
                    (commits, signatureNotes) = try await PlanSignatures.commits(base: base, target: target, source: source, configPath: config)
                    notes += signatureNotes
                    clock.mark("signatures of \(commits.count) commits")
                    // Only for the last commit against its parent (the default, run before
                    // committing): a pull request's plan (--from) costs no working-tree scan.
                    if to == "HEAD", from == nil {
                        if let note = await uncommittedNote(reader: reader, head: target) { notes.append(note) }
                        clock.mark("working tree status")
                    }
                }
                clock.mark("desired states")
                let history = try await RollbackHistory.digests(
                    for: toState, comparedWith: fromState, base: base, reader: reader)
                clock.mark("history of \(history.count) changed models")
                plan = Planner(history: history, allowEmpty: allowEmpty).plan(from: fromState, to: toState)
                plan.subject = subject
                plan.notes = notes
                plan.commits = commits
                plan.noteWindows(to: toState, at: Date().timeIntervalSince1970)
                rendered = (fromState, toState)
                clock.mark("plan")
                if let manifestIndex, await reader.summariesLearned > 0 {
                    // Only speed is lost when it cannot be written (a read-only cache, a full disk).
                    try? manifestIndex.save(await reader.indexEntries())
                    clock.mark("write the manifest index")
                }
            } catch {
                FileHandle.standardError.write(Data("sluice plan: \(error)\n".utf8))
                throw ExitCode(2)
            }
            // The process ends after the plan, and its memory goes back whole: freeing the
            // reader's 10,000 cached entries one by one would cost more than the plan itself.
            if let readerKeptAlive { _ = Unmanaged.passRetained(readerKeptAlive) }
            try finish(plan, rendered: rendered, renderContext: renderContext, clock: &clock)
        }

        /// The desired states at `base` (nil: nothing deployed) and `target`, read incrementally.
        private func committedStates(
            base: CommitID?, target: CommitID, reader: ManifestReader, clock: inout PhaseClock
        ) async throws(GitError) -> (DesiredState?, DesiredState) {
            var fromState: DesiredState?
            var toState: DesiredState
            if let base {
                let baseFiles = try await reader.load(at: base)
                clock.mark("read base (\(baseFiles) files read)")
                // Only what differs is planned; unchanged files are counted, not read again.
                let changed = try await reader.changedManifests(from: base, to: target)
                clock.mark("read changes (\(changed.filesRead) files read)")
                fromState = DesiredState(revision: base.short, files: changed.before)
                fromState?.unchangedElsewhere = changed.unchangedBefore
                toState = DesiredState(revision: target.short, files: changed.after)
                toState.unchangedElsewhere = changed.unchangedAfter
            } else {
                let everything = try await reader.read(at: target)
                clock.mark("read target (\(everything.filesRead) files read)")
                toState = DesiredState(revision: target.short, files: everything.files)
            }
            return (fromState, toState)
        }

        /// The note a plan of HEAD carries when the working tree holds manifest changes it leaves out.
        private func uncommittedNote(reader: ManifestReader, head: CommitID) async -> String? {
            // Advisory: a working tree that cannot be read here is told about by --working-tree.
            guard let paths = try? await reader.uncommittedManifestPaths(comparedWith: head), !paths.isEmpty else { return nil }
            let shown = paths.prefix(3).joined(separator: ", ") + (paths.count > 3 ? ", …" : "")
            let count = paths.count == 1 ? "1 manifest" : "\(paths.count) manifests"
            return "the working tree has uncommitted changes to \(count) (\(shown)) that this plan of the last commit leaves out; "
                + "`sluice plan --working-tree` plans them"
        }

        /// Prints the plan (and the rendered objects), then exits with the plan's status.
        private func finish(
            _ plan: SluiceCore.Plan, rendered: (from: DesiredState?, to: DesiredState)?, renderContext: KubernetesRenderContext?,
            clock: inout PhaseClock
        ) throws {
            let output = PlanRenderer(format: format, includeUnchanged: all).render(plan)
            clock.mark("render")
            FileHandle.standardOutput.write(Data(output.utf8))
            clock.mark("write")
            var renderFailed = false
            if let renderContext, let rendered {
                let (yaml, errors) = PlanRender(context: renderContext).render(plan, from: rendered.from, to: rendered.to)
                FileHandle.standardOutput.write(Data(("\n" + yaml).utf8))
                for error in errors { FileHandle.standardError.write(Data("sluice plan: \(error)\n".utf8)) }
                renderFailed = !errors.isEmpty
                clock.mark("render kubernetes objects")
            }
            clock.report()
            if plan.toHasErrors || renderFailed { throw ExitCode(2) }
            if plan.hasChanges { throw ExitCode(1) }
        }

        /// The render context from --config's `backend:` and `runtimes:`; exits 2 when the
        /// config is invalid or describes no cluster.
        func kubernetesContext() throws -> KubernetesRenderContext {
            let configuration = try loadConfiguration(config, command: "sluice plan")
            guard case .kubernetes(let cluster) = configuration.backend else {
                FileHandle.standardError.write(Data("sluice plan: \(config): no `backend: {kind: kubernetes}` section to render for\n".utf8))
                throw ExitCode(2)
            }
            let resolved: KubernetesDriver
            switch (cluster.driver, driver) {
            case (_, .some(let chosen)): resolved = chosen
            case (.gatewayAPI, nil): resolved = .gatewayAPI
            case (.kserve, nil): resolved = .kserve
            case (.auto, nil):
                FileHandle.standardError.write(Data("sluice plan: \(config): backend.driver is auto, which is found on the cluster; give --driver gateway-api or --driver kserve\n".utf8))
                throw ExitCode(2)
            }
            return KubernetesRenderContext(config: cluster, driver: resolved, runtimes: configuration.serve.runtimes)
        }
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
