import SluiceCore
import Testing

/// One mirrored request's two answers, settled in either order, into the outcome a shadow
/// step counts.
@Suite("shadow pairing", .timeLimit(.minutes(10)))
struct ShadowPairingTests {
    static func answer(_ status: Int, _ micros: UInt64 = 1000, _ output: [FeatureValue]? = [.category("setosa")]) -> ShadowAnswer {
        ShadowAnswer(status: status, latencyMicros: micros, firstOutput: output)
    }

    /// Both orders of settling give the same outcome, once.
    static func outcomes(stable: ShadowAnswer, candidate: ShadowAnswer) -> (ShadowPairOutcome?, ShadowPairOutcome?) {
        var stableFirst = ShadowPair()
        let early = stableFirst.settleStable(stable)
        let late = stableFirst.settleCandidate(candidate)
        #expect(early == nil)
        var candidateFirst = ShadowPair()
        let early2 = candidateFirst.settleCandidate(candidate)
        let late2 = candidateFirst.settleStable(stable)
        #expect(early2 == nil)
        return (late, late2)
    }

    @Test("settling the second half yields the outcome in either order; settling a half twice yields nothing more")
    func eitherOrder() throws {
        let (first, second) = Self.outcomes(stable: Self.answer(200, 1500), candidate: Self.answer(200, 4000))
        let expected = ShadowPairOutcome.paired(
            OutputComparison.compare(stable: [.category("setosa")], candidate: [.category("setosa")]), candidateMicros: 4000, stableMicros: 1500)
        #expect(first == expected)
        #expect(second == expected)

        var pair = ShadowPair()
        #expect(pair.settleCandidate(Self.answer(200)) == nil)
        #expect(pair.settleCandidate(Self.answer(500)) == nil, "a half is settled once")
        #expect(pair.settleStable(Self.answer(200)) != nil)
        #expect(pair.settleStable(Self.answer(200)) == nil, "the outcome comes once")
        #expect(pair.candidate?.status == 200)
    }

    /// What a combination of statuses should end as.
    enum Expected: Sendable {
        case candidateFailed, stableFailed, incomparable, paired
    }

    @Test(
        "each failure combination: a candidate 5xx or no answer is a candidate error whatever the caller got; a caller without 2xx leaves nothing to compare; a candidate 4xx is an incomparable pair",
        arguments: [
            (200, 500, Expected.candidateFailed), (200, 0, .candidateFailed), (502, 503, .candidateFailed), (0, 0, .candidateFailed),
            (500, 200, .stableFailed), (0, 200, .stableFailed), (404, 200, .stableFailed), (504, 404, .stableFailed),
            (200, 400, .incomparable), (200, 422, .incomparable), (201, 200, .paired),
        ])
    func failures(stable: Int, candidate: Int, expected: Expected) {
        let (first, second) = Self.outcomes(stable: Self.answer(stable), candidate: Self.answer(candidate))
        #expect(first == second)
        switch first {
        case .candidateFailed?: #expect(expected == .candidateFailed)
        case .stableFailed?: #expect(expected == .stableFailed)
        case .paired(let comparison, _, _)?: #expect(expected == (comparison == .incomparable ? .incomparable : .paired))
        case nil: Issue.record("no outcome")
        }
    }

    @Test("a 2xx without a readable first output on either side is an incomparable pair, outside the MAE")
    func missingOutputs() {
        for (stable, candidate) in [(Self.answer(200, 10, nil), Self.answer(200, 20)), (Self.answer(200, 10), Self.answer(200, 20, nil))] {
            let outcome = ShadowPair.outcome(stable: stable, candidate: candidate)
            #expect(outcome == .paired(.incomparable, candidateMicros: 20, stableMicros: 10))
            var tally = ShadowTally(tolerances: [0])
            tally.record(outcome)
            #expect(tally.pairs == 1 && tally.incomparable == 1 && tally.agreement(tolerance: 0) == 0 && tally.meanAbsoluteError == nil)
        }
    }

    @Test("the first output of a V2 answer: the first tensor only, columns one after another; nil without one")
    func firstOutput() throws {
        let classifier = try JSONParser.parse(#"""
            {"outputs":[{"name":"predict","shape":[2],"datatype":"BYTES","data":["setosa","virginica"]},
                        {"name":"predict_proba","shape":[2,3],"datatype":"FP64","data":[0.9,0.05,0.05,0.1,0.2,0.7]}]}
            """#)
        #expect(InferenceTensors.firstOutput(in: classifier) == [.category("setosa"), .category("virginica")])
        let matrix = try JSONParser.parse(#"{"outputs":[{"name":"p","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4]]}]}"#)
        #expect(InferenceTensors.firstOutput(in: matrix) == [.number(1), .number(3), .number(2), .number(4)])
        #expect(InferenceTensors.firstOutput(in: try JSONParser.parse(#"{"outputs":[]}"#)) == nil)
        #expect(InferenceTensors.firstOutput(in: try JSONParser.parse(#"{"error":"x"}"#)) == nil)
        #expect(InferenceTensors.firstOutput(in: try JSONParser.parse(#"{"outputs":[{"name":"p","shape":[3],"data":[1,2]}]}"#)) == nil)
        let wide = try JSONParser.parse(#"{"outputs":[{"name":"p","shape":[1000,8],"datatype":"FP64","data":[\#(Array(repeating: "0.5", count: 8000).joined(separator: ","))]}]}"#)
        #expect(InferenceTensors.firstOutput(in: wide)?.count == InferenceTensors.maximumComparedValues)
    }
}
