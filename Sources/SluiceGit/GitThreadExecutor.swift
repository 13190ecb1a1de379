import Foundation

/// The executor of one ``GitSource``: a thread of its own that runs the actor's jobs one at a
/// time. libgit2 calls block (a fetch waits on the network, a tree walk or a blob read on the
/// disk), and on Swift's cooperative pool, which has one thread per core, a few of them would
/// stall every other task of the process: the gateway's statistics, the API, the timers.
final class GitThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let jobs: JobQueue

    /// Starts the thread; it ends once the executor is released and its jobs have run.
    init(name: String = "sluice-git") {
        let jobs = JobQueue()
        self.jobs = jobs
        // Unowned: the thread must not keep the executor alive. Every job belongs to the actor,
        // which owns the executor, so the executor outlives each job it runs.
        let executor = UnownedSerialExecutor(ordinary: self)
        let thread = Thread {
            jobs.markCurrentThread()
            while let job = jobs.next() {
                job.runSynchronously(on: executor)
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        jobs.close()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        jobs.push(UnownedJob(job))
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets `assumeIsolated` and the runtime's isolation checks pass on this executor's thread.
    func checkIsolated() {
        precondition(jobs.isCurrentThread, "not on the git executor's thread")
    }
}

/// The jobs waiting for the executor's thread, first in first out.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [UnownedJob] = []
    private var head = 0
    private var closed = false
    private var thread: pthread_t?

    func push(_ job: UnownedJob) {
        condition.lock()
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// The next job, waiting for one; nil once closed and empty.
    func next() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while head == pending.count {
            if closed { return nil }
            condition.wait()
        }
        let job = pending[head]
        head += 1
        // Compact now and then rather than removing from the front each time.
        if head == pending.count || head >= 1024 {
            pending.removeFirst(head)
            head = 0
        }
        return job
    }

    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    func markCurrentThread() {
        condition.lock()
        thread = pthread_self()
        condition.unlock()
    }

    var isCurrentThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }
}
