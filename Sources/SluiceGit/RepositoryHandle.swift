internal import CLibGit2

/// Owns a `git_repository*`. Not Sendable: it lives inside the ``GitSource`` actor, because
/// libgit2 objects must not be used from two threads at once.
final class RepositoryHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }
}

/// Frees a libgit2 object when it goes out of scope, on failure paths too.
final class Owned {
    let pointer: OpaquePointer
    private let free: (OpaquePointer) -> Void

    init(_ pointer: OpaquePointer, free: @escaping (OpaquePointer) -> Void) {
        self.pointer = pointer
        self.free = free
    }

    deinit {
        free(pointer)
    }
}

extension git_oid {
    /// The 40-digit hex form.
    var hex: String {
        var copy = self
        return String(cString: git_oid_tostr_s(&copy))
    }

    /// Parses a 40-digit hex id.
    init(hex: String) throws(GitError) {
        var oid = git_oid()
        try Libgit2.check("git_oid_fromstr", git_oid_fromstr(&oid, hex))
        self = oid
    }
}
