import HTTPTypes
import SluiceCore
import SluiceServe

extension KServeLogCollector {
    /// The largest feedback body read, as the gateway's: a label per prediction, up to 10,000.
    public static let maximumFeedbackBody = 1 << 20

    /// Joins ground truth posted to `POST /v1/feedback/{model}` to the predictions the
    /// collector remembered by `ce-id`, exactly as the gateway's `/v2/models/{model}/feedback`
    /// joins them by `x-request-id`: same body, same answer, labels counted in the
    /// predicted version's bucket.
    func feedback(model: String, body: [UInt8]) throws(APIError) -> FeedbackOutcome {
        guard knows(model: model) else { throw APIError(.notFound, "model '\(model.prefix(128))' is not served on the kserve backend") }
        let items: [Feedback]
        do {
            items = try Feedback.parse(try JSONParser.parse(body))
        } catch let problem as Feedback.Problem {
            throw APIError(.badRequest, "feedback body: \(problem)")
        } catch {
            throw APIError(.badRequest, "feedback body is not JSON: \(error)")
        }
        return predictions.join(items, model: model, into: recorder)
    }
}
