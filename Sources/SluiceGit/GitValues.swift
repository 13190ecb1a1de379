/// A commit's id: 40 lowercase hex digits.
public struct CommitID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The full hex id.
    public let hex: String
    /// Creates an id from hex.
    public init(hex: String) { self.hex = hex }
    /// The first 7 digits, as git shows them.
    public var short: String { String(hex.prefix(7)) }
    public var description: String { hex }
}

/// A blob's id; equal ids mean equal content, which is what the caches key on.
public struct BlobID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The full hex id.
    public let hex: String
    /// Creates an id from hex.
    public init(hex: String) { self.hex = hex }
    public var description: String { hex }
}

/// The manifest files of a tree at one commit: repository path → blob id. Reading it reads
/// tree objects only, never a file's content.
public struct TreeSnapshot: Sendable, Equatable {
    /// The commit.
    public var commit: CommitID
    /// The directory the snapshot covers ("" for the whole tree).
    public var directory: String
    /// Manifest paths (relative to the repository root) and their blobs.
    public var files: [String: BlobID]
}

/// How a path changed between two commits.
public struct PathChange: Sendable, Equatable, CustomStringConvertible {
    /// The kind of change.
    public enum Kind: String, Sendable, Equatable {
        case added, deleted, modified, renamed
    }

    /// The kind.
    public var kind: Kind
    /// The path before (nil when added).
    public var oldPath: String?
    /// The path after (nil when deleted).
    public var newPath: String?
    /// The blob after (nil when deleted).
    public var newBlob: BlobID?

    public var description: String {
        switch kind {
        case .added: return "A \(newPath ?? "")"
        case .deleted: return "D \(oldPath ?? "")"
        case .modified: return "M \(newPath ?? "")"
        case .renamed: return "R \(oldPath ?? "") -> \(newPath ?? "")"
        }
    }
}

/// A blob's content, or its size when it is over the cap and was not read.
public struct BlobContent: Sendable {
    /// The bytes, nil when the blob is larger than the cap.
    public var bytes: [UInt8]?
    /// The blob's size in bytes.
    public var size: Int
}

/// A manifest path whose content in the working tree may differ from HEAD's.
public struct WorkingTreeChange: Sendable {
    /// The path, relative to the repository root.
    public var path: String
    /// What the working tree holds; nil when no manifest is there (deleted, or replaced by a
    /// symbolic link, a directory or anything else that is not a regular file).
    public var content: BlobContent?
    /// The blob id the content would have if committed; nil when absent or over the size cap.
    public var blob: BlobID?
}
