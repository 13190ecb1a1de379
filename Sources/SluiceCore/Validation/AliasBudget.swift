/// The alias-expansion budget of one read of many files (a `sluice validate` run, one
/// repository read of the controller): files that are each under the per-file cap must not
/// add up to a read that takes minutes and gigabytes.
///
/// Files are charged in the order they are validated; callers pass them in path order so
/// that the same tree always refuses the same files.
public struct AliasBudget: Sendable {
    /// The nodes still available.
    public private(set) var remaining: Int
    /// The whole budget.
    public let total: Int

    /// A full budget of ``YAMLLimits/maxAliasNodesPerRead``.
    public init(limits: YAMLLimits) {
        total = limits.maxAliasNodesPerRead
        remaining = total
    }

    /// What the budget allows for one file.
    enum Verdict {
        /// Validate its documents.
        case validate
        /// Do not validate them; report this (nil when the file already reports a limit).
        case refuse(Diagnostic?)
    }

    /// Charges `file`'s alias nodes, or refuses the file when they do not fit.
    mutating func spend(on file: ComposedManifest) -> Verdict {
        let cost = file.aliasNodes
        guard cost > 0 else { return .validate }
        guard cost <= remaining else {
            // A file whose composition already stopped at a limit says so once.
            if file.stream.diagnostics.contains(where: { $0.code == .limit }) { return .refuse(nil) }
            return .refuse(Diagnostic(
                file: file.path, location: file.stream.firstAlias ?? .start, code: .limit,
                message: "this file's aliases stand for \(cost) nodes, and the files read with it already used \(total - remaining) of the \(total) alias-expanded nodes one read may hold; the file is not validated: write the shared parts out instead of aliasing them (a \"billion laughs\" guard)"))
        }
        remaining -= cost
        return .validate
    }
}
