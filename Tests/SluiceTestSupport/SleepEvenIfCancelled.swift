/// Sleeps for `duration` even when the calling task is cancelled.
///
/// A polling loop that must run to its own end (waiting for load threads or a child process
/// after a test was cancelled by its time limit) would otherwise spin: in a cancelled task
/// `Task.sleep` throws at once, each throw costs Swift Testing a backtrace, and two such
/// loops hold both threads of the cooperative pool, which stalls every other test.
public func sleepEvenIfCancelled(for duration: Duration) async {
    await Task.detached { try? await Task.sleep(for: duration) }.value
}
