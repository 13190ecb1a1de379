import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Inference requests, one after another every 15 ms, from a thread of its own (never from
/// the cooperative pool, which other suites' work can hold): what the end-to-end canaries
/// judge. ``stop()`` ends the loop and returns each answer's status and version header.
final class LoadGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [(Int, String?)] = []
    private var running = true
    private var finished = false

    init(url: URL, body: Data) {
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
                answered.wait()
                Thread.sleep(forTimeInterval: 0.015)
            }
            lock.withLock { finished = true }
        }.start()
    }

    /// Ends the loop (after the request in flight) and returns what was answered. Polls for
    /// the loop's end: a semaphore wait would hold a thread of the cooperative pool.
    func stop() async -> [(Int, String?)] {
        lock.withLock { running = false }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
        return lock.withLock { seen }
    }
}
