import SluiceConfig
import SluiceCore
import SluiceGit

extension Controller {
    /// Triggers a pass on each new commit of a local repository's branch, until cancelled;
    /// returns at once for a remote repository. Wakes when the repository's refs change
    /// (inotify), and reads the branch every second anyway; without inotify, every 100 ms.
    func watchLocalBranch() async {
        guard !config.repositoryLocation.isRemote else { return }
        let watcher = await source.refDirectories().flatMap { RefChangeWatcher(directories: $0) }
        defer { watcher?.stop() }
        var wakes = watcher?.wakes.makeAsyncIterator()
        var last: CommitID?
        while !Task.isCancelled {
            if let head = try? await resolveHead(fetch: false), head != last {
                if last != nil { trigger(.branchMoved(head)) }
                last = head
            }
            if wakes != nil {
                // A stream that ended (the watch failed) falls back to polling.
                if await wakes?.next() == nil { wakes = nil }
            } else {
                // Reading one ref is cheap; this bounds how long a local commit waits.
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Asks the loop for a monitor collection every `monitors.interval` until cancelled. The
    /// collection itself runs in the loop, between passes, so it never interleaves with one.
    func runMonitors() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(config.monitorInterval.milliseconds))
            requestMonitorCollection()
        }
    }

    /// Queues a monitor collection unless one is already waiting; without a running loop
    /// this does nothing.
    func requestMonitorCollection() {
        guard let inbox, !monitorCollectionQueued else { return }
        monitorCollectionQueued = true
        inbox.yield(.collectMonitors)
    }
}
