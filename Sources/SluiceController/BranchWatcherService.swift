import ServiceLifecycle

/// Watches a local repository's branch and triggers a pass on each new commit, until the
/// group shuts down. A remote repository has no local branch to watch (webhooks and the
/// interval bring its commits), so for one this service only waits for the shutdown.
struct BranchWatcherService: Service, CustomStringConvertible {
    let controller: Controller

    var description: String { "branch watcher" }

    func run() async {
        await cancelWhenGracefulShutdown { [controller] in await controller.watchLocalBranch() }
        try? await gracefulShutdown()
    }
}
