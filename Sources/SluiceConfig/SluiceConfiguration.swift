import Foundation
import SluiceCore

/// The operator's `sluice.yaml`, read once: the data plane's settings and runtimes, and the
/// controller's section when there is one. The one reader of the file for every command.
public struct SluiceConfiguration: Sendable {
    /// The file it was read from, as given.
    public var file: String
    /// `serve:` and `runtimes:` (defaults when absent).
    public var serve: ServeConfig
    /// `controller:`, or nil when the file has none.
    public var controllerSection: ControllerConfig?
    /// `backend:` (`.local` when absent); also ``ControllerConfig/backend``.
    public var backend: BackendConfig = .local

    /// Reads `path`. Relative paths inside are resolved against the file's directory.
    /// Every problem is reported with its position and field.
    public static func load(path: String) throws(ConfigError) -> SluiceConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, .unreadable, "cannot read the config file")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(Array(data), file: path, baseDirectory: base)
    }

    /// Parses a config document; `baseDirectory` anchors relative paths.
    public static func parse(_ bytes: [UInt8], file: String, baseDirectory: String) throws(ConfigError) -> SluiceConfiguration {
        let stream = YAMLComposer().compose(bytes, file: file)
        if !stream.diagnostics.isEmpty { throw ConfigError(diagnostics: stream.diagnostics.sorted()) }
        guard let root = stream.documents.first?.root, stream.documents.count == 1 else {
            throw ConfigError(file: file, .syntax, "expected one YAML document with `serve:` and `runtimes:`")
        }
        var validator = SchemaValidator(file: file)
        validator.validate(root, as: ConfigSchema.document, path: "", owner: root.location)
        // Typed values are built even from a file with schema problems, so that problems
        // between values are reported in the same run; the builder skips what failed.
        var builder = ConfigBuilder(validator: validator, base: baseDirectory)
        builder.backend = builder.readBackend(root["backend"])
        let serve = builder.serve(root)
        let controller = root["controller"].flatMap { builder.controller($0, serve: serve) }
        guard builder.validator.diagnostics.isEmpty else { throw ConfigError(diagnostics: builder.validator.diagnostics.sorted()) }
        return SluiceConfiguration(file: file, serve: serve, controllerSection: controller, backend: builder.backend)
    }

    /// The `controller:` section, or an error saying it is missing.
    public func controller() throws(ConfigError) -> ControllerConfig {
        guard let controllerSection else {
            throw ConfigError(file: file, .missingField, "no `controller:` section (it needs at least `repository:`)")
        }
        return controllerSection
    }
}
