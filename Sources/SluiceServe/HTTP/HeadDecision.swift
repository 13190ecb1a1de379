/// What a responder decides from a request's head alone, before any body byte is read.
package enum HeadDecision: Sendable {
    /// Read the body, up to `maximumBody` bytes (nil: the listener's default).
    case accept(maximumBody: Int?)
    /// Answer this at once and close the connection without reading the body
    /// (a missing or wrong token, say).
    case refuse(ServerResponse)
}
