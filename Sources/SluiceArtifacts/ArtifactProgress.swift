import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceCore

/// Bytes written for one artifact (every file of it), checked against the size cap at each
/// write, and logged at info every few seconds for a large download: done/total, rate, ETA.
final class ArtifactProgress: Sendable {
    private struct State {
        var done: Int64 = 0
        /// Bytes already on disk when this attempt began (a resumed partial): not part of the rate.
        var resumed: Int64 = 0
        var lastLog: ContinuousClock.Instant
        let start: ContinuousClock.Instant
    }

    /// The artifact, redacted.
    let name: String
    /// The total the source announced, when it did for every file.
    let total: Int64?
    let maxBytes: Int64
    let logger: Logger
    let threshold: Int64
    let interval: Swift.Duration
    private let state: NIOLockedValueBox<State>

    init(name: String, total: Int64?, maxBytes: Int64, logger: Logger, threshold: Int64, interval: Swift.Duration) {
        self.name = name
        self.total = total
        self.maxBytes = maxBytes
        self.logger = logger
        self.threshold = threshold
        self.interval = interval
        let now = ContinuousClock.now
        self.state = NIOLockedValueBox(State(lastLog: now, start: now))
    }

    /// Bytes found on disk from an earlier attempt.
    func resume(_ count: Int64) throws {
        try state.withLockedValue { state in
            state.done += count
            state.resumed += count
            try check(state.done)
        }
    }

    /// Bytes dropped (the source restarted a file from its first byte).
    func drop(_ count: Int64) {
        state.withLockedValue { state in
            state.done -= count
            state.resumed = min(state.resumed, state.done)
        }
    }

    /// Counts `count` new bytes; throws `.tooLarge` past the cap.
    func add(_ count: Int64) throws {
        let line: Logger.Message? = try state.withLockedValue { state in
            state.done += count
            try check(state.done)
            let now = ContinuousClock.now
            guard max(total ?? 0, state.done) >= threshold, now - state.lastLog >= interval else { return nil }
            state.lastLog = now
            return message(state, now: now)
        }
        if let line { logger.info(line) }
    }

    /// Bytes counted so far.
    var done: Int64 { state.withLockedValue { $0.done } }

    private func check(_ done: Int64) throws {
        if done > maxBytes {
            throw ArtifactFetchError(.tooLarge, "artifact \(name) is larger than controller.artifacts.maxArtifactBytes (\(maxBytes) bytes); the download was stopped at \(done) bytes")
        }
    }

    private func message(_ state: State, now: ContinuousClock.Instant) -> Logger.Message {
        let elapsed = Double((now - state.start).components.seconds) + Double((now - state.start).components.attoseconds) / 1e18
        let rate = elapsed > 0 ? Double(state.done - state.resumed) / elapsed : 0
        var text = "downloading artifact \(name): \(Self.mebibytes(state.done))"
        if let total {
            text += " of \(Self.mebibytes(total)) (\(total > 0 ? state.done * 100 / total : 100)%)"
        }
        text += String(format: ", %.1f MiB/s", rate / 1_048_576)
        if let total, rate > 0 {
            text += ", about \(Int((Double(total - state.done) / rate).rounded(.up)))s left"
        }
        return "\(text)"
    }

    private static func mebibytes(_ bytes: Int64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}
