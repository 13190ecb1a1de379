import Foundation
import SluiceTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Inference requests from `clients` threads of their own (never from the cooperative pool,
/// which other suites' work can hold), each sending one request after another with a 15 ms
/// pause: what the end-to-end canaries judge. Several clients keep a canary's window above
/// its `minRequests` on a loaded machine, where one request can take a good part of a
/// second. ``stop()`` ends the loops and returns each answer's status and version header.
final class LoadGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [(Int, String?)] = []
    private var running = true
    private var finished = 0
    private let clients: Int

    init(url: URL, body: Data, clients: Int = 4) {
        self.clients = clients
        for _ in 0..<clients {
            Thread { [self] in
                while lock.withLock({ running }) {
                    var request = URLRequest(url: url)
                    request.httpMethod = "POST"
                    request.httpBody = body
                    request.timeoutInterval = 10
                    let answered = DispatchSemaphore(value: 0)
                    ServeHarness.session.dataTask(with: request) { [self] _, response, _ in
                        if let http = response as? HTTPURLResponse {
                            lock.withLock { seen.append((http.statusCode, http.value(forHTTPHeaderField: "x-sluice-version"))) }
                        }
                        answered.signal()
                    }.resume()
                    // This thread is the generator's own: blocking it holds no pool thread.
                    answered.wait()
                    Thread.sleep(forTimeInterval: 0.015)
                }
                lock.withLock { finished += 1 }
            }.start()
        }
    }

    /// What was answered so far (the loops keep running).
    var answered: [(Int, String?)] { lock.withLock { seen } }

    /// Ends the loops (after the requests in flight) and returns what was answered. Polls for
    /// their end: a semaphore wait would hold a thread of the cooperative pool. A request that
    /// never completes (each has a 10 s timeout) is not waited for past 30 s.
    func stop() async -> [(Int, String?)] {
        lock.withLock { running = false }
        let deadline = ContinuousClock.now + .seconds(30)
        while lock.withLock({ finished < clients }), ContinuousClock.now < deadline {
            await sleepEvenIfCancelled(for: .milliseconds(10))
        }
        return lock.withLock { seen }
    }
}
