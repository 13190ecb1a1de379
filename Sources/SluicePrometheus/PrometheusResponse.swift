import SluiceCore

/// The JSON envelope of Prometheus' HTTP API (`/api/v1/query`):
/// `{"status":"success","data":{"resultType":…,"result":…}}` or
/// `{"status":"error","errorType":…,"error":…}`.
struct PrometheusResponse: Decodable {
    var status: Status
    var data: ResultData?
    var errorType: ErrorType?
    var error: String?

    /// `status`.
    enum Status: String, Decodable {
        case success, error
    }

    /// `errorType`, as the API documents it; anything else is ``other``.
    enum ErrorType: Decodable, Equatable {
        case badData, execution, timeout, canceled, `internal`, unavailable, notFound
        case other(String)

        init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            switch text {
            case "bad_data": self = .badData
            case "execution": self = .execution
            case "timeout": self = .timeout
            case "canceled": self = .canceled
            case "internal": self = .internal
            case "unavailable": self = .unavailable
            case "not_found": self = .notFound
            default: self = .other(text)
            }
        }
    }

    /// `data`: the result, decoded by its `resultType`.
    struct ResultData: Decodable {
        var result: QueryResult

        enum ResultType: String, Decodable {
            case scalar, vector, matrix, string
        }

        private enum CodingKeys: String, CodingKey {
            case resultType, result
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(ResultType.self, forKey: .resultType) {
            case .scalar:
                result = .scalar(try container.decode(Sample.self, forKey: .result).value)
            case .string:
                result = .string(try container.decode(TextSample.self, forKey: .result).text)
            case .vector:
                result = .vector(try container.decode([InstantSeries].self, forKey: .result).map(\.series))
            case .matrix:
                result = .matrix(try container.decode([RangeSeries].self, forKey: .result).map(\.series))
            }
        }
    }

    /// `[<unix time>, "<number>"]`; the number may be `NaN`, `+Inf` or `-Inf`.
    struct Sample: Decodable {
        var value: Double

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            _ = try container.decode(Double.self)
            let text = try container.decode(String.self)
            guard let value = Self.number(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a sample value that is not a number")
            }
            self.value = value
        }

        /// Go's `strconv.FormatFloat` output, and the spellings Prometheus uses for the specials.
        static func number(_ text: String) -> Double? {
            switch text {
            case "NaN": return .nan
            case "+Inf", "Inf": return .infinity
            case "-Inf": return -.infinity
            default:
                // Only digits, signs, '.', 'e' and 'E': Swift would also take "nan", "infinity" and hex.
                guard !text.isEmpty, text.utf8.count <= 64,
                      text.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x65 || $0 == 0x45 })
                else { return nil }
                // A finite spelling that overflows ("1e999") is not what Prometheus writes.
                return Double(text).flatMap { $0.isFinite ? $0 : nil }
            }
        }
    }

    /// `[<unix time>, "<text>"]` of a string result.
    struct TextSample: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            _ = try container.decode(Double.self)
            text = try container.decode(String.self)
        }
    }

    /// One element of a vector: `{"metric": {…}, "value": [t, "v"]}`.
    struct InstantSeries: Decodable {
        var series: QuerySeries

        private enum CodingKeys: String, CodingKey {
            case metric, value, histogram
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let labels = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
            guard container.contains(.value) else {
                throw DecodingError.keyNotFound(
                    CodingKeys.value,
                    .init(codingPath: container.codingPath, debugDescription: "a native histogram sample; wrap it in histogram_quantile() or histogram_count()"))
            }
            series = QuerySeries(labels: labels, value: try container.decode(Sample.self, forKey: .value).value)
        }
    }

    /// One element of a matrix: `{"metric": {…}, "values": [[t, "v"], …]}`; its newest value
    /// is kept (NaN when it has none).
    struct RangeSeries: Decodable {
        var series: QuerySeries

        private enum CodingKeys: String, CodingKey {
            case metric, values
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let labels = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
            let values = try container.decodeIfPresent([Sample].self, forKey: .values) ?? []
            series = QuerySeries(labels: labels, value: values.last?.value ?? .nan)
        }
    }
}
