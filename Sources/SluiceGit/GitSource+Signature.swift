internal import CLibGit2
import Foundation

/// A commit's signature and the bytes it signs (the commit object without its `gpgsig` header).
public struct SignedCommit: Sendable, Equatable {
    /// The signature block (armored OpenPGP, SSH or X.509), as the commit holds it.
    public var signature: [UInt8]
    /// The signed bytes.
    public var payload: [UInt8]
}

extension GitSource {
    /// A signature block larger than this is not read (a real one is a few kilobytes).
    static let maximumSignatureBytes = 64 << 10

    /// The signature of `commit` and what it signs, through libgit2
    /// (`git_commit_extract_signature`); nil when the commit is not signed.
    /// - Throws: ``GitError`` when the commit cannot be read.
    public func signedCommit(_ commit: CommitID) throws(GitError) -> SignedCommit? {
        var oid = try git_oid(hex: commit.hex)
        var signature = git_buf(), payload = git_buf()
        defer {
            git_buf_dispose(&signature)
            git_buf_dispose(&payload)
        }
        let result = git_commit_extract_signature(&signature, &payload, repository.pointer, &oid, nil)
        if result == GIT_ENOTFOUND.rawValue {
            // Unsigned, or not a commit at all: the lookup tells them apart.
            _ = try lookupCommit(commit)
            return nil
        }
        try Libgit2.check("git_commit_extract_signature", result)
        guard signature.size <= Self.maximumSignatureBytes else {
            return SignedCommit(signature: [], payload: [])
        }
        return SignedCommit(signature: Self.bytes(signature), payload: Self.bytes(payload))
    }

    /// The commits reachable from `head` and not from `base`, oldest first (parents before
    /// children): what arrived since `base`. Only `head` when `base` is nil or is no longer
    /// in the repository (history rewritten and collected).
    public func commits(since base: CommitID?, upTo head: CommitID) throws(GitError) -> [CommitID] {
        var walk: OpaquePointer?
        try Libgit2.check("git_revwalk_new", git_revwalk_new(&walk, repository.pointer))
        guard let walk else { return [head] }
        defer { git_revwalk_free(walk) }
        try Libgit2.check("git_revwalk_sorting", git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue))
        var headOID = try git_oid(hex: head.hex)
        try Libgit2.check("git_revwalk_push", git_revwalk_push(walk, &headOID))
        guard let base else { return [head] }
        var baseOID = try git_oid(hex: base.hex)
        if git_revwalk_hide(walk, &baseOID) < 0 { return [head] }
        var commits: [CommitID] = []
        var next = git_oid()
        while true {
            let result = git_revwalk_next(&next, walk)
            if result == GIT_ITEROVER.rawValue { break }
            try Libgit2.check("git_revwalk_next", result)
            commits.append(CommitID(hex: next.hex))
        }
        return commits
    }

    private static func bytes(_ buffer: git_buf) -> [UInt8] {
        guard let pointer = buffer.ptr, buffer.size > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: buffer.size) { Array(UnsafeBufferPointer(start: $0, count: buffer.size)) }
    }
}
