import Crypto
import NIOConcurrencyHelpers
import NIOCore
import SluiceCore

#if canImport(Glibc)
import Glibc
#endif

/// The sink a source streams one file into: appends to a file under the cache's `partial/`,
/// hashing (sha256, and sha512 when a pin asks for it) as it writes, so the bytes are read
/// from the network once and never held in memory. An existing partial file (an interrupted
/// earlier attempt, even by another process) is hashed first and the download resumes after it.
final class FileSink: ArtifactSink, Sendable {
    // Guarded by the box's lock.
    private struct State: @unchecked Sendable {
        var fd: Int32
        var sha256 = SHA256()
        var sha512: SHA512?
        var written: Int64 = 0
        var restarted = false
    }

    /// What a finished file is.
    struct Result: Sendable {
        var sha256: String
        var sha512: String?
        var size: Int64
    }

    let path: String
    private let wantsSHA512: Bool
    private let progress: ArtifactProgress
    private let state: NIOLockedValueBox<State>
    /// When a byte last arrived (for the stall watchdog).
    let lastWrite: NIOLockedValueBox<ContinuousClock.Instant>

    /// Opens (or creates, 0600) `path` for appending. Bytes already there are kept and hashed
    /// unless `expectedSize` shows they cannot be a prefix of the file (then they are dropped).
    init(path: String, expectedSize: Int64?, sha512: Bool, progress: ArtifactProgress) throws {
        self.path = path
        self.wantsSHA512 = sha512
        self.progress = progress
        self.lastWrite = NIOLockedValueBox(.now)
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ArtifactFetchError(.io, "cannot open '\(path)': \(CacheFiles.reason())") }
        var state = State(fd: fd, sha512: sha512 ? SHA512() : nil)
        do {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw ArtifactFetchError(.io, "cannot stat '\(path)': \(CacheFiles.reason())") }
            if let expectedSize, Int64(info.st_size) > expectedSize {
                guard ftruncate(fd, 0) == 0 else { throw ArtifactFetchError(.io, "cannot truncate '\(path)': \(CacheFiles.reason())") }
            } else if info.st_size > 0 {
                try Self.hashExisting(fd: fd, into: &state, path: path)
                try progress.resume(state.written)
            }
        } catch {
            close(fd)
            throw error
        }
        self.state = NIOLockedValueBox(state)
    }

    /// Bytes in the file now: where the source should continue.
    var offset: Int64 { state.withLockedValue { $0.written } }

    /// True once the source answered from the first byte (it could not resume).
    var restarted: Bool { state.withLockedValue { $0.restarted } }

    func write(_ bytes: ByteBuffer) async throws {
        try Task.checkCancellation()
        try progress.add(Int64(bytes.readableBytes))
        try state.withLockedValue { state in
            try bytes.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let count = Glibc.write(state.fd, raw.baseAddress! + offset, raw.count - offset)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { throw ArtifactFetchError(.io, "cannot write '\(path)': \(CacheFiles.reason())") }
                    offset += count
                }
                state.sha256.update(bufferPointer: raw)
                state.sha512?.update(bufferPointer: raw)
            }
            state.written += Int64(bytes.readableBytes)
        }
        lastWrite.withLockedValue { $0 = .now }
    }

    func restart() async throws {
        let dropped: Int64 = try state.withLockedValue { state in
            guard ftruncate(state.fd, 0) == 0 else { throw ArtifactFetchError(.io, "cannot truncate '\(path)': \(CacheFiles.reason())") }
            let dropped = state.written
            state.sha256 = SHA256()
            state.sha512 = wantsSHA512 ? SHA512() : nil
            state.written = 0
            state.restarted = true
            return dropped
        }
        progress.drop(dropped)
    }

    /// Flushes the file to disk and closes it; the hashes of everything in it.
    func finish() throws -> Result {
        try state.withLockedValue { state in
            defer { closeLocked(&state) }
            guard fsync(state.fd) == 0 else { throw ArtifactFetchError(.io, "fsync of '\(path)' failed: \(CacheFiles.reason())") }
            return Result(sha256: state.sha256.finalize().hex, sha512: state.sha512?.finalize().hex, size: state.written)
        }
    }

    /// Closes the file without flushing (the attempt failed; the bytes stay for a resume) and
    /// uncounts its bytes: the next attempt counts what it finds on disk.
    func abandon() {
        let written = state.withLockedValue { state in
            closeLocked(&state)
            return state.written
        }
        progress.drop(written)
    }

    deinit {
        state.withLockedValue { closeLocked(&$0) }
    }

    private func closeLocked(_ state: inout State) {
        if state.fd >= 0 {
            close(state.fd)
            state.fd = -1
        }
    }

    private static func hashExisting(fd: Int32, into state: inout State, path: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ArtifactFetchError(.io, "cannot read '\(path)': \(CacheFiles.reason())") }
            if count == 0 { break }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                state.sha256.update(bufferPointer: chunk)
                state.sha512?.update(bufferPointer: chunk)
            }
            position += Int64(count)
        }
        state.written = position
    }
}
