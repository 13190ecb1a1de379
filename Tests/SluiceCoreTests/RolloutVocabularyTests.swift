import Foundation
import SluiceCore
import Testing

/// Reasons and event kinds are typed, but stored and shown as the words earlier versions
/// wrote: existing state directories and API clients must read the same.
@Suite(.timeLimit(.minutes(10))) struct RolloutVocabularyTests {
    /// Every reason's word, as stored in `modelState.state` and shown by `sluice status`.
    @Test func reasonWordsNeverChange() {
        let words: [(RolloutState.Reason, String)] = [
            (.new, "New"), (.deployed, "Deployed"), (.updated, "Updated"), (.fastRollback, "FastRollback"),
            (.synced, "Synced"), (.waitingForReadiness, "WaitingForReadiness"), (.canary, "Canary"),
            (.awaitingApproval, "AwaitingApproval"), (.inconclusive, "Inconclusive"), (.promoted, "Promoted"),
            (.progressDeadlineExceeded, "ProgressDeadlineExceeded"), (.analysisFailed, "AnalysisFailed"),
            (.analysisError, "AnalysisError"), (.aborted, "Aborted"), (.monitorFired, "MonitorFired"),
            (.monitorRollback, "MonitorRollback"), (.candidateFailed, "CandidateFailed"),
            (.invalidManifest, "InvalidManifest"), (.kept, "Kept"),
            (.fetchingArtifact, "FetchingArtifact"), (.artifactUnavailable, "ArtifactUnavailable"),
            (.changeWindow, "ChangeWindow"),
        ]
        for (reason, word) in words {
            #expect(reason.rawValue == word)
            #expect("\(reason)" == word, "logs and messages interpolate the word")
        }
        #expect(Set(words.map(\.0)).count == words.count, "no two reasons share a word")
    }

    /// Every event kind's word, as stored in the `event.kind` column and shown by `sluice history`.
    @Test func eventKindWordsNeverChange() {
        let words: [(RolloutEvent.Kind, String)] = [
            (.deployed, "deployed"), (.superseded, "superseded"), (.fastRollback, "fastRollback"), (.updated, "updated"),
            (.rolloutStarted, "rolloutStarted"), (.step, "step"), (.awaitingApproval, "awaitingApproval"),
            (.analysis, "analysis"), (.paused, "paused"), (.promoteRequested, "promoteRequested"), (.promoted, "promoted"),
            (.aborted, "aborted"), (.retry, "retry"), (.kept, "kept"), (.pruned, "pruned"), (.selfHeal, "selfHeal"),
            (.reverted, "reverted"), (.revertSkipped, "revertSkipped"), (.revertFailed, "revertFailed"),
            (.monitorFiring, "monitorFiring"), (.monitorResolved, "monitorResolved"), (.monitorRollback, "monitorRollback"),
            (.rollbackSkipped, "rollbackSkipped"), (.alertFailed, "alertFailed"), (.retrainApproved, "retrainApproved"),
            (.retrainAwaitingApproval, "retrainAwaitingApproval"), (.retrainWithheld, "retrainWithheld"),
            (.retrainRequested, "retrainRequested"), (.retrainFailed, "retrainFailed"), (.scaled, "scaled"),
            (.reconcileError, "reconcileError"), (.reconcileRecovered, "reconcileRecovered"),
            (.windowWait, "windowWait"), (.windowOverridden, "windowOverridden"),
        ]
        for (kind, word) in words {
            #expect(kind.rawValue == word)
            #expect("\(kind)" == word)
        }
        #expect(Set(words.map(\.0)).count == words.count, "no two kinds share a word")
    }

    /// A state saved by the string-typed controller decodes to the constants.
    @Test func stateSavedByEarlierVersionsDecodes() throws {
        let json = #"{"name":"fraud","health":"Degraded","reason":"AnalysisFailed","message":"rolled back","failedDigests":[],"stableHistory":[],"updatedAt":1}"#
        let state = try JSONDecoder().decode(RolloutState.self, from: Data(json.utf8))
        #expect(state.reason == .analysisFailed)
        #expect(state.wait == nil && state.windowOverride == nil, "saved before change windows")
        #expect(RolloutState.Wait.Reason.changeWindow.rawValue == "ChangeWindow")
        #expect(try JSONDecoder().decode(RolloutEvent.Kind.self, from: Data(#""aborted""#.utf8)) == .aborted)
    }

    /// Encoding writes the bare word, not an object around it.
    @Test func encodesTheBareWord() throws {
        let encoder = JSONEncoder()
        #expect(String(decoding: try encoder.encode(RolloutState.Reason.kept), as: UTF8.self) == #""Kept""#)
        #expect(String(decoding: try encoder.encode(RolloutEvent.Kind.selfHeal), as: UTF8.self) == #""selfHeal""#)
        encoder.outputFormatting = .sortedKeys
        let state = String(decoding: try encoder.encode(RolloutState(name: "iris", now: 1)), as: UTF8.self)
        #expect(state.contains(#""reason":"New""#))
    }

    /// A word from a newer Sluice is kept as it is, through decoding and encoding.
    @Test func unknownWordsRoundTrip() throws {
        let reason = try JSONDecoder().decode(RolloutState.Reason.self, from: Data(#""ShadowTraffic""#.utf8))
        #expect(reason.rawValue == "ShadowTraffic")
        #expect(reason != .canary)
        #expect(String(decoding: try JSONEncoder().encode(reason), as: UTF8.self) == #""ShadowTraffic""#)
        let kind = try JSONDecoder().decode(RolloutEvent.Kind.self, from: Data(#""shadowStarted""#.utf8))
        #expect(kind == RolloutEvent.Kind(rawValue: "shadowStarted"))
        #expect(String(decoding: try JSONEncoder().encode(kind), as: UTF8.self) == #""shadowStarted""#)
    }

    /// Words are compared exactly: case and spaces matter, as they did for the strings.
    @Test func wordsCompareExactly() {
        #expect(RolloutState.Reason(rawValue: "kept") != .kept)
        #expect(RolloutState.Reason(rawValue: "Kept ") != .kept)
        #expect(RolloutEvent.Kind(rawValue: "Aborted") != .aborted)
        #expect(RolloutEvent.Kind(rawValue: "aborted") == .aborted)
    }

    /// A reason or kind that is not a string is an error, not a crash or a made-up word.
    @Test func rejectsWhatIsNotAWord() {
        for json in ["42", "null", #"{"rawValue":"Kept"}"#, #"["Kept"]"#, "true"] {
            #expect(throws: DecodingError.self, "\(json)") {
                try JSONDecoder().decode(RolloutState.Reason.self, from: Data(json.utf8))
            }
            #expect(throws: DecodingError.self, "\(json)") {
                try JSONDecoder().decode(RolloutEvent.Kind.self, from: Data(json.utf8))
            }
        }
        let state = #"{"name":"fraud","health":"Healthy","reason":7,"message":"","failedDigests":[],"stableHistory":[],"updatedAt":1}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RolloutState.self, from: Data(state.utf8)) }
    }
}
