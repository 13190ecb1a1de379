extension DriftBaseline {
    /// Builds a baseline from a table's columns (all-empty columns are left out):
    ///
    /// - numeric: edges frozen as ``DriftComparator`` freezes them (`bins` quantile bins,
    ///   or one per distinct value when there are at most `bins`), proportions of every
    ///   value, and the raw values themselves when there are at most `sampleLimit`;
    ///   beyond that, a uniform subsample of `sampleLimit` values (in file order, drawn
    ///   with a generator seeded by `seed`, so a rebuild gives the same file) plus a
    ///   `QuantileSketch` of every value;
    /// - categorical: the counts.
    public static func build(from table: CSVTable, bins: Int = 10, sampleLimit: Int = 10_000, seed: UInt64 = 1, source: String? = nil) -> DriftBaseline {
        var entries: [Feature] = []
        for column in table.columns where column.count > 0 {
            switch column.values {
            case .categorical(let counts):
                entries.append(Feature(name: column.name, counts: counts, missing: column.missing))
            case .numeric(let values):
                entries.append(numericFeature(column.name, values, missing: column.missing, bins: bins, sampleLimit: sampleLimit, seed: seed))
            }
        }
        return DriftBaseline(entries: entries, source: source, rows: table.rowCount)
    }

    static func numericFeature(_ name: String, _ values: [Double], missing: Int, bins: Int, sampleLimit: Int, seed: UInt64) -> Feature {
        let edges = DriftComparator.frozenEdges(.numericSample(values), bins: bins)
        let total = Double(values.count)
        let proportions = DriftStatistics.histogram(values, edges: edges).map { Double($0) / total }
        guard values.count > sampleLimit else {
            return Feature(name: name, count: values.count, missing: missing, edges: edges, proportions: proportions, sample: values)
        }
        var sketch = QuantileSketch(seed: seed)
        sketch.insert(contentsOf: values)
        let sample = sampleLimit > 0 ? subsample(values, size: sampleLimit, seed: seed) : nil
        return Feature(name: name, count: values.count, missing: missing, edges: edges, proportions: proportions, sample: sample, sketch: sketch)
    }

    /// `size` values chosen uniformly without replacement, in their original order
    /// (Knuth's selection sampling, Algorithm S).
    static func subsample(_ values: [Double], size: Int, seed: UInt64) -> [Double] {
        var state = seed
        var chosen: [Double] = []
        chosen.reserveCapacity(size)
        for (index, value) in values.enumerated() where chosen.count < size {
            // SplitMix64, scaled to 0..<remaining by a full-width multiply.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let remaining = UInt64(values.count - index)
            if z.multipliedFullWidth(by: remaining).high < UInt64(size - chosen.count) { chosen.append(value) }
        }
        return chosen
    }
}
