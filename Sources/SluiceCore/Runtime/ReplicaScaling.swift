/// How many model-server processes (replicas) one version runs, and what makes it add or
/// remove them: `spec.scaling` in a manifest, and per version in a runtime spec.
///
/// Git says how much capacity (the bounds and the target); the operator's runtime says how
/// a replica runs. The rollout engine derives each version's bounds from the model's (a
/// canary gets a share in proportion to its weight, the stable version keeps its own), and
/// the data plane's autoscaler keeps each version between them.
public struct ReplicaScaling: Sendable, Hashable, Codable {
    /// Replicas kept running whatever the load (at least 1).
    public var minReplicas: Int
    /// Replicas never exceeded (at least `minReplicas`).
    public var maxReplicas: Int
    /// The load one replica should carry; more load adds replicas.
    public var target: Target
    /// How long load must stay low before replicas are removed (scale-up is immediate).
    public var scaleDownDelay: Duration

    /// The default `scaleDownDelay`: five minutes, the Kubernetes HPA's scale-down
    /// stabilisation window, so a brief lull does not cost a cold start.
    public static let defaultScaleDownDelay = Duration.seconds(300)
    /// The default target when none is written: 4 requests in flight per replica.
    public static let defaultTarget = Target.concurrency(4)

    /// Creates scaling bounds.
    public init(minReplicas: Int = 1, maxReplicas: Int? = nil, target: Target = ReplicaScaling.defaultTarget, scaleDownDelay: Duration = ReplicaScaling.defaultScaleDownDelay) {
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas ?? minReplicas
        self.target = target
        self.scaleDownDelay = scaleDownDelay
    }

    /// A fixed number of replicas (no autoscaling).
    public static func fixed(_ replicas: Int) -> ReplicaScaling {
        ReplicaScaling(minReplicas: replicas, maxReplicas: replicas)
    }

    /// Whether the count can change with load.
    public var autoscales: Bool { maxReplicas > minReplicas }

    /// The load one replica should carry.
    public enum Target: Sendable, Hashable, Codable {
        /// Requests in flight per replica (KServe's and Knative's `concurrency`).
        case concurrency(Double)
        /// Requests per second per replica (KServe's `rps`).
        case rps(Double)

        /// The metric's name as manifests, KServe and status output write it.
        public var metric: Metric {
            switch self {
            case .concurrency: .concurrency
            case .rps: .rps
            }
        }

        /// The target value per replica.
        public var value: Double {
            switch self {
            case .concurrency(let value), .rps(let value): value
            }
        }

        /// The names a target may have.
        public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
            case concurrency
            case rps
        }
    }
}

extension ReplicaScaling.Target {
    /// Written as a one-member object, as in a manifest: `{"concurrency": 4}` or `{"rps": 200}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ReplicaScaling.Target.Metric.CodingKey.self)
        guard let key = container.allKeys.first, container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "expected one of {\"concurrency\": N} or {\"rps\": N}"))
        }
        let value = try container.decode(Double.self, forKey: key)
        self = key.metric == .concurrency ? .concurrency(value) : .rps(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ReplicaScaling.Target.Metric.CodingKey.self)
        try container.encode(value, forKey: .init(metric))
    }
}

extension ReplicaScaling.Target.Metric {
    /// The metric as a coding key.
    public struct CodingKey: Swift.CodingKey {
        let metric: ReplicaScaling.Target.Metric
        public var stringValue: String { metric.rawValue }
        public var intValue: Int? { nil }
        init(_ metric: ReplicaScaling.Target.Metric) { self.metric = metric }
        public init?(stringValue: String) {
            guard let metric = ReplicaScaling.Target.Metric(rawValue: stringValue) else { return nil }
            self.metric = metric
        }
        public init?(intValue: Int) { nil }
    }
}
