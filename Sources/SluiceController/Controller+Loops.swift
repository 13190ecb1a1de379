import SluiceCore
import SluiceGit

extension Controller {
    /// Triggers a pass on each new commit of a local repository's branch, until cancelled;
    /// returns at once for a remote repository.
    func watchLocalBranch() async {
        guard !config.repository.contains("://"), !config.repository.contains("@") else { return }
        var last: CommitID?
        while !Task.isCancelled {
            if let head = try? await resolveHead(fetch: false), head != last {
                if last != nil { trigger("commit \(head.short)") }
                last = head
            }
            // Reading one ref is cheap; this bounds how long a local commit waits.
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs a monitor pass every `monitors.interval` until cancelled.
    func runMonitors() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(config.monitorInterval.milliseconds))
            await monitorPass()
        }
    }
}
