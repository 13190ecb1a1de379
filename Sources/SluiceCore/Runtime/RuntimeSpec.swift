/// The whole desired running state of a data plane: which model versions run and how
/// requests are routed among them.
///
/// The controller sends the complete document every time (never a patch); the data
/// plane converges to it and replaces its route table atomically.
public struct RuntimeSpec: Sendable, Hashable {
    /// The revision the document was made from (a commit, or any label); shown in state.
    public var revision: String?
    /// The models to serve, each with its versions and route.
    public var models: [ModelRuntime]

    public init(revision: String? = nil, models: [ModelRuntime]) {
        self.revision = revision
        self.models = models
    }

    /// The model named `name`.
    public func model(_ name: String) -> ModelRuntime? {
        models.first { $0.name == name }
    }
}

/// One model in a runtime spec.
public struct ModelRuntime: Sendable, Hashable {
    /// The model name, as in the request path `/v2/models/{name}/infer`.
    public var name: String
    /// The versions to keep running (including those with weight 0, e.g. a stable
    /// version kept warm for an instant abort).
    public var versions: [VersionRuntime]
    /// How requests choose among the versions.
    public var route: Route
    /// The input features monitoring sketches: those a monitor, an analysis check or a
    /// baseline names (the controller computes them from the manifests). Any other name
    /// a caller sends is ignored, so made-up names cannot crowd the real ones out. Absent
    /// (a spec saved before the field existed): no input is sketched until the
    /// controller sends the list; counts, latency and outputs are sketched regardless.
    public var sketchInputs: [String]?

    public init(name: String, versions: [VersionRuntime], route: Route, sketchInputs: [String]? = nil) {
        self.name = name
        self.versions = versions
        self.route = route
        self.sketchInputs = sketchInputs
    }

    /// The version named `name`.
    public func version(_ name: String) -> VersionRuntime? {
        versions.first { $0.name == name }
    }
}

/// One version of a model: either a process the data plane runs (`runtime` and
/// `artifact`), or an upstream someone else runs (`endpoint`).
public struct VersionRuntime: Sendable, Hashable {
    /// The version name, unique within its model.
    public var name: String
    /// The runtime (defined in the operator's config) that serves the artifact.
    public var runtime: String?
    /// The model artifact handed to the runtime's command as `{artifact}`.
    public var artifact: String?
    /// The artifact's expected digest (`sha256:…`); a change restarts the version.
    public var digest: String?
    /// An already-running V2 server (`http://127.0.0.1:9000`) to route to instead.
    public var endpoint: String?
    /// How many processes run it and when the autoscaler adds or removes one; nil: one
    /// process (an `endpoint` is never scaled). A change never restarts running replicas.
    public var scaling: ReplicaScaling?

    public init(
        name: String, runtime: String? = nil, artifact: String? = nil, digest: String? = nil, endpoint: String? = nil,
        scaling: ReplicaScaling? = nil
    ) {
        self.name = name
        self.runtime = runtime
        self.artifact = artifact
        self.digest = digest
        self.endpoint = endpoint
        self.scaling = scaling
    }
}

/// The route table of one model.
public struct Route: Sendable, Hashable {
    /// Percent of requests per version; the values sum to 100.
    public var weights: [String: Int]
    /// Requests whose header equals a value go to a version, whatever the weights.
    public var pins: [HeaderPin]
    /// A header whose value keeps a caller on one version while the weights hold.
    public var stickyHeader: String?
    /// A copy of a share of requests sent to a version; its answer is discarded.
    public var mirror: Mirror?

    public init(weights: [String: Int], pins: [HeaderPin] = [], stickyHeader: String? = nil, mirror: Mirror? = nil) {
        self.weights = weights
        self.pins = pins
        self.stickyHeader = stickyHeader
        self.mirror = mirror
    }

    /// A header match that selects a version.
    public struct HeaderPin: Sendable, Hashable {
        /// The header name (matched case-insensitively).
        public var header: String
        /// The exact header value that selects the version.
        public var value: String
        /// The version selected.
        public var version: String

        public init(header: String, value: String, version: String) {
            self.header = header
            self.value = value
            self.version = version
        }
    }

    /// Shadow traffic to one version.
    public struct Mirror: Sendable, Hashable {
        /// The version receiving the copies.
        public var version: String
        /// Percent of requests copied, 0–100.
        public var percent: Double
        /// Set during a shadow step: the gateway pairs each copy's answer with the answer
        /// the caller got, for pairwise analysis. Nil: answers are discarded unread.
        public var pairing: Pairing?

        public init(version: String, percent: Double, pairing: Pairing? = nil) {
            self.version = version
            self.percent = percent
            self.pairing = pairing
        }

        /// How the gateway compares a copy's answer with the caller's.
        public struct Pairing: Sendable, Hashable {
            /// The agreement tolerances the shadow step's checks ask for (sorted, distinct,
            /// at most ``maximumTolerances``): agreement is counted at each. Empty: exact only.
            public var tolerances: [Double]

            /// Tolerances a route may carry: the agreement counters are per tolerance.
            public static let maximumTolerances = 8

            public init(tolerances: [Double] = []) {
                self.tolerances = tolerances
            }
        }
    }
}

extension RuntimeSpec {
    /// The names of the models that run or route differently in `other`: present in only
    /// one of the two, or with other versions, route or sketched inputs. What self-heal
    /// records, so that each model's history says its data plane was corrected.
    public func modelNamesDiffering(from other: RuntimeSpec) -> [String] {
        let names = Set(models.map(\.name)).union(other.models.map(\.name))
        return names.filter { model($0) != other.model($0) }.sorted()
    }
}
