import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

extension PrometheusClient {
    /// The result in a 2xx answer, or the ``MetricQueryError`` that the status and body mean.
    /// Every message is redacted of `token` and quotes at most ``quotedBytes`` of the body.
    func decode(status: HTTPResponseStatus, body: ByteBuffer, token: String?) throws(MetricQueryError) -> QueryResult {
        let bytes = Data(body.readableBytesView)
        let response = try? JSONDecoder().decode(PrometheusResponse.self, from: bytes)
        if let response, response.status == .error {
            let text = Self.sanitized(response.error ?? "no error text", token: token)
            throw MetricQueryError(Self.kind(of: response.errorType, status: status), "Prometheus refused the query (\(status.code)): \(text)")
        }
        switch status.code {
        case 200..<300:
            if let result = response?.data?.result { return result }
            throw MetricQueryError(.badResponse, "the answer is not Prometheus API JSON\(Self.detail(bytes, token: token))")
        case 401, 403:
            throw MetricQueryError(.unauthorized, "Prometheus answered \(status.code) \(status.reasonPhrase): the bearer token is missing, wrong or lacks rights")
        case 422, 503:
            throw MetricQueryError(.execution, "Prometheus answered \(status.code) \(status.reasonPhrase)\(Self.detail(bytes, token: token))")
        default:
            throw MetricQueryError(.badResponse, "Prometheus answered \(status.code) \(status.reasonPhrase)\(Self.detail(bytes, token: token))")
        }
    }

    /// What a transport failure (no usable answer) means.
    func transportError(_ error: any Error, token: String?) -> MetricQueryError {
        let seconds = Double(Self.nanoseconds(timeout)) / 1e9
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return MetricQueryError(.timeout, "no answer from \(baseURL) within \(Self.seconds(seconds))")
            case .cancelled:
                return MetricQueryError(.timeout, "the query to \(baseURL) was cancelled")
            case .remoteConnectionClosed:
                return MetricQueryError(.unreachable, "\(baseURL) closed the connection before answering")
            default:
                return MetricQueryError(.badResponse, "cannot read the answer of \(baseURL): \(Self.sanitized(String(describing: error), token: token))")
            }
        case is NIOTooManyBytesError:
            return MetricQueryError(.badResponse, "the answer of \(baseURL) is larger than \(maximumBodyBytes) bytes; not read")
        case let error as NIOSSLError:
            return MetricQueryError(.unreachable, "TLS with \(baseURL) failed: \(Self.sanitized(String(describing: error), token: token))")
        case let error as BoringSSLError:
            return MetricQueryError(.unreachable, "TLS with \(baseURL) failed: \(Self.sanitized(String(describing: error), token: token))")
        case is CancellationError:
            return MetricQueryError(.timeout, "the query to \(baseURL) was cancelled")
        default:
            // Refused, reset, a name that does not resolve (NIOConnectionError, IOError, …).
            return MetricQueryError(.unreachable, "cannot reach \(baseURL): \(Self.sanitized(String(describing: error), token: token))")
        }
    }

    /// The kind an API `errorType` means; without one, the HTTP status decides.
    static func kind(of type: PrometheusResponse.ErrorType?, status: HTTPResponseStatus) -> MetricQueryError.Kind {
        switch type {
        case .badData: return .badQuery
        case .execution, .timeout, .canceled, .internal, .unavailable: return .execution
        case .notFound, .other: return .badResponse
        case nil:
            switch status.code {
            case 400: return .badQuery
            case 401, 403: return .unauthorized
            case 422, 503: return .execution
            default: return .badResponse
            }
        }
    }

    /// At most this much of a body is quoted in an error.
    static let quotedBytes = 200

    /// `: "<the body's start>"`, sanitized and redacted, or "" for an empty body.
    static func detail(_ bytes: Data, token: String?) -> String {
        guard !bytes.isEmpty else { return " (empty body)" }
        // Redact in a window longer than what is quoted, so a token across the cut is caught whole.
        let window = bytes.prefix(quotedBytes + (token?.utf8.count ?? 0) * 2 + 16)
        let text = sanitized(String(decoding: window, as: UTF8.self), token: token)
        return ": \"\(text)\(bytes.count > quotedBytes ? "…" : "")\""
    }

    /// `text` with `token` replaced by `<redacted>`, control characters as spaces, cut to
    /// ``quotedBytes`` bytes (at a character boundary).
    static func sanitized(_ text: String, token: String?) -> String {
        var text = text
        if let token, !token.isEmpty { text = text.replacingOccurrences(of: token, with: "<redacted>") }
        var result = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let clean: Unicode.Scalar = scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) ? " " : scalar
            used += String(clean).utf8.count
            guard used <= quotedBytes else { break }
            result.unicodeScalars.append(clean)
        }
        return result
    }

    /// `1.5s`, `10s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int64(value))s" : String(format: "%.3gs", value)
    }
}
