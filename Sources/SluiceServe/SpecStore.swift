import Foundation
import SluiceCore

/// The last applied runtime spec on disk, replaced atomically (write, fsync, rename), so
/// a crash leaves either the old document or the new one, never a torn one.
struct SpecStore: Sendable {
    let path: String

    init(directory: String) {
        path = "\(directory)/runtime-spec.json"
    }

    /// The saved spec; nil when none was ever saved.
    func load() -> Result<RuntimeSpec, RuntimeSpecError>? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return .success(try RuntimeSpec.decode(json: Array(data)))
        } catch {
            return .failure(error)
        }
    }

    /// Saves `spec`, replacing the previous file atomically.
    func save(_ spec: RuntimeSpec) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.runtime-spec.json.\(getpid()).tmp"
        let bytes = Array((spec.jsonValue.serialized(indent: 2) + "\n").utf8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw StoreError(message: "cannot write \(temporary): \(reason)")
            }
            written += result
        }
        fsync(descriptor)
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw StoreError(message: "cannot replace \(path): \(reason)")
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    struct StoreError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
