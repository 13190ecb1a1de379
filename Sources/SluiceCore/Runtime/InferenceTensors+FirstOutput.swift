extension InferenceTensors {
    /// The most values of a first output a shadow pair keeps and compares, so that a pair
    /// waiting for its second answer holds little whatever the batch size.
    public static let maximumComparedValues = 4096

    /// The values of the first tensor of a V2 response's `outputs`, what a shadow step
    /// compares: a classifier's labels, a regression's numbers; a tensor `[N, F]` column
    /// after column. At most the leading ``maximumValuesPerFeature`` rows and
    /// ``maximumComparedValues`` values; nil when `outputs` has no well-formed first tensor.
    public static func firstOutput(in response: JSONValue) -> [FeatureValue]? {
        guard case .array(let tensors)? = response["outputs"], let first = tensors.first else { return nil }
        return compared(features(in: .object([("outputs", .array([first]))]), member: "outputs"))
    }

    /// The columns of a first output one after the other, up to ``maximumComparedValues``;
    /// nil when there are none.
    static func compared(_ columns: [(name: String, values: [FeatureValue])]) -> [FeatureValue]? {
        guard !columns.isEmpty else { return nil }
        var values: [FeatureValue] = []
        for column in columns {
            values += column.values.prefix(maximumComparedValues - values.count)
            if values.count == maximumComparedValues { break }
        }
        return values
    }
}
