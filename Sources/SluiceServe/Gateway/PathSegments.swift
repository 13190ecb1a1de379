/// The non-empty segments of a request path split at "/", as `split(separator: "/",
/// omittingEmptySubsequences: true)` gives them, found over the path's UTF-8 bytes: no array
/// and no grapheme breaking per request. `count` counts every segment; only the first
/// ``capacity`` are kept (no route of the gateway has more, and a longer path is refused
/// on its count alone). The parser admits only visible ASCII in a request target, so byte
/// and character boundaries agree.
struct PathSegments {
    /// Segments kept (the longest route, `/v2/models/<m>/versions/<v>/<action>`, has six).
    static let capacity = 6

    let path: Substring
    private(set) var count = 0
    private var ranges: (Range<String.Index>, Range<String.Index>, Range<String.Index>, Range<String.Index>, Range<String.Index>, Range<String.Index>)

    init(_ path: Substring) {
        self.path = path
        let empty = path.startIndex..<path.startIndex
        ranges = (empty, empty, empty, empty, empty, empty)
        let utf8 = path.utf8
        let slash = UInt8(ascii: "/")
        var index = utf8.startIndex
        while index < utf8.endIndex {
            if utf8[index] == slash {
                index = utf8.index(after: index)
                continue
            }
            var end = utf8.index(after: index)
            while end < utf8.endIndex, utf8[end] != slash { end = utf8.index(after: end) }
            keep(index..<end)
            index = end
        }
    }

    private mutating func keep(_ range: Range<String.Index>) {
        switch count {
        case 0: ranges.0 = range
        case 1: ranges.1 = range
        case 2: ranges.2 = range
        case 3: ranges.3 = range
        case 4: ranges.4 = range
        case 5: ranges.5 = range
        default: break
        }
        count += 1
    }

    private func range(_ index: Int) -> Range<String.Index> {
        precondition(index >= 0 && index < min(count, Self.capacity), "segment \(index) of \(count)")
        switch index {
        case 0: return ranges.0
        case 1: return ranges.1
        case 2: return ranges.2
        case 3: return ranges.3
        case 4: return ranges.4
        default: return ranges.5
        }
    }

    /// Segment `index` (below `count` and ``capacity``).
    subscript(index: Int) -> Substring { path[range(index)] }

    /// Whether segment `index` exists and is exactly `literal`, compared as bytes.
    func segment(_ index: Int, is literal: StaticString) -> Bool {
        guard index < min(count, Self.capacity) else { return false }
        let bytes = path.utf8[range(index)]
        return bytes.count == literal.utf8CodeUnitCount
            && bytes.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
