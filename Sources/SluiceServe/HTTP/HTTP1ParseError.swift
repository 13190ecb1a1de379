import NIOHTTP1

/// Why bytes from a peer are not an HTTP/1.1 message this server accepts (RFC 9112), strict
/// where a lenient reading lets two parsers disagree on where a message ends (smuggling).
package enum HTTP1ParseError: Error, Equatable, Sendable {
    /// The start line (request or status line) and headers together exceed the head limit, or more header lines than allowed.
    case headTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    /// A line ended in LF without CR, or a CR not followed by LF.
    case bareLineFeed
    case invalidMethod
    case invalidTarget
    case invalidVersion
    case unsupportedVersion
    /// A header line starting with a space or tab (obsolete line folding).
    case obsoleteLineFolding
    case whitespaceBeforeColon
    case invalidHeaderName
    /// A control character (NUL, CR, DEL, …) in a header value.
    case invalidHeaderValue
    case invalidContentLength
    case duplicateContentLength
    case contentLengthWithTransferEncoding
    /// A transfer coding other than exactly `chunked`.
    case unsupportedTransferEncoding
    case transferEncodingInHTTP10
    case missingHost
    case duplicateHost
    case invalidChunkSize
    case chunkSizeOverflow
    case invalidChunkExtension
    case chunkLineTooLong(limit: Int)
    /// Chunk data not followed by CRLF.
    case missingChunkTerminator
    case trailersTooLarge(limit: Int)
    /// The status line of a response (the upstream side).
    case invalidStatusLine
    /// A 101 Switching Protocols, which no request of Sluice's asks for.
    case unexpectedUpgrade
    /// Bytes from the server after a whole response, or with no request outstanding.
    case unsolicitedResponse
    /// A response body over the client's cap (declared or as it arrived).
    case responseBodyTooLarge(limit: Int)

    /// What the caller is told.
    package var message: String {
        switch self {
        case .headTooLarge(let limit): "start line and headers larger than \(limit) bytes"
        case .tooManyHeaders(let limit): "more than \(limit) header fields"
        case .bareLineFeed: "a line ends without CRLF (bare LF or CR)"
        case .invalidMethod: "the request line's method is not a token"
        case .invalidTarget: "the request target is not origin-form (/path?query), absolute-form (http://host/path) or * for OPTIONS"
        case .invalidVersion: "the request line does not end in HTTP/<digit>.<digit>"
        case .unsupportedVersion: "only HTTP/1.x is served here"
        case .obsoleteLineFolding: "a header line starts with whitespace (obsolete line folding)"
        case .whitespaceBeforeColon: "whitespace between a header name and its colon"
        case .invalidHeaderName: "a header name is empty or not a token"
        case .invalidHeaderValue: "a header value contains a control character"
        case .invalidContentLength: "Content-Length is not a decimal number of at most 18 digits"
        case .duplicateContentLength: "more than one Content-Length"
        case .contentLengthWithTransferEncoding: "both Content-Length and Transfer-Encoding"
        case .unsupportedTransferEncoding: "Transfer-Encoding other than exactly chunked"
        case .transferEncodingInHTTP10: "Transfer-Encoding in an HTTP/1.0 message"
        case .missingHost: "an HTTP/1.1 request without Host"
        case .duplicateHost: "more than one Host"
        case .invalidChunkSize: "a chunk size is not hexadecimal"
        case .chunkSizeOverflow: "a chunk size of more than 15 hexadecimal digits"
        case .invalidChunkExtension: "a chunk extension contains a control character or does not start with ;"
        case .chunkLineTooLong(let limit): "a chunk size line longer than \(limit) bytes"
        case .missingChunkTerminator: "chunk data not followed by CRLF"
        case .trailersTooLarge(let limit): "trailer fields larger than \(limit) bytes"
        case .invalidStatusLine: "the status line is not HTTP/1.x <status 100-599> <reason>"
        case .unexpectedUpgrade: "101 Switching Protocols to a request that asked for no upgrade"
        case .unsolicitedResponse: "bytes with no request outstanding"
        case .responseBodyTooLarge(let limit): "a response body larger than \(limit) bytes"
        }
    }

    /// The answer to a request that fails this way: 431 for a head over the limits, else 400.
    package var status: HTTPResponseStatus {
        switch self {
        case .headTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        default: .badRequest
        }
    }
}
