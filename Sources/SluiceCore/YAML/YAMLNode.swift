/// A node of a composed YAML document that remembers where it came from.
///
/// Nodes are immutable reference types so that an alias shares the node its anchor names
/// instead of copying it: an alias costs one pointer, however large its target.
public final class YAMLNode: Sendable {
    /// What a node holds.
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLEntry])
    }

    /// The node's content.
    public let content: Content
    /// Where the node starts in the source.
    public let location: SourceLocation
    /// The number of nodes this one stands for once every alias below it is expanded.
    public let expandedSize: Int

    /// Creates a node; `expandedSize` is derived from the children.
    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
        switch content {
        case .scalar:
            expandedSize = 1
        case .sequence(let items):
            expandedSize = items.reduce(1) { $0 + $1.expandedSize }
        case .mapping(let entries):
            expandedSize = entries.reduce(1) { $0 + $1.key.expandedSize + $1.value.expandedSize }
        }
    }

    /// The scalar, when this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The entries, when this node is a mapping.
    public var entries: [YAMLEntry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }

    /// The items, when this node is a sequence.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The value stored under a scalar key, when this node is a mapping that has it.
    public subscript(key: String) -> YAMLNode? {
        entries?.first { $0.key.scalar?.text == key }?.value
    }

    /// A short name of the node's kind for messages: "a mapping", "a list", "a string"…
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar): return scalar.value.kindDescription
        }
    }
}

/// A key and its value in a YAML mapping.
public struct YAMLEntry: Sendable {
    /// The key node (a scalar in every manifest field).
    public let key: YAMLNode
    /// The value node.
    public let value: YAMLNode

    /// Creates an entry.
    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}
