import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One page of a ListObjectsV2 answer.
struct S3ListPage: Sendable, Equatable {
    struct Object: Sendable, Equatable {
        var key: String
        var etag: String?
        var size: Int64
    }

    var objects: [Object] = []
    var isTruncated = false
    var nextContinuationToken: String?
}

/// An S3 error document (`<Error><Code>…</Code><Message>…</Message></Error>`).
struct S3ErrorDocument: Sendable, Equatable {
    var code: String?
    var message: String?
}

/// Reads S3's XML answers with Foundation's XMLParser (external entities are not resolved).
/// Element text is collected only for the few leaf elements S3 defines; anything else is ignored.
enum S3XML {
    /// Parses a ListBucketResult; nil when it is not one (not XML, another root, a bad number).
    static func listPage(_ data: Data) -> S3ListPage? {
        let collector = Collector(leaves: ["Key", "ETag", "Size", "IsTruncated", "NextContinuationToken"])
        guard collector.parse(data), collector.root == "ListBucketResult" else { return nil }
        var page = S3ListPage()
        for record in collector.records where record.path == ["ListBucketResult", "Contents"] {
            guard let key = record.values["Key"], let sizeText = record.values["Size"], let size = Int64(sizeText), size >= 0 else {
                return nil
            }
            page.objects.append(.init(key: key, etag: record.values["ETag"], size: size))
        }
        let top = collector.records.first { $0.path == ["ListBucketResult"] }?.values ?? [:]
        page.isTruncated = top["IsTruncated"] == "true"
        page.nextContinuationToken = top["NextContinuationToken"].flatMap { $0.isEmpty ? nil : $0 }
        return page
    }

    /// Parses an `<Error>` document; nil when the body is not one.
    static func error(_ data: Data) -> S3ErrorDocument? {
        let collector = Collector(leaves: ["Code", "Message"])
        guard collector.parse(data), collector.root == "Error" else { return nil }
        let values = collector.records.first { $0.path == ["Error"] }?.values ?? [:]
        return S3ErrorDocument(code: values["Code"], message: values["Message"])
    }

    /// Groups leaf texts by their parent element: one record per parent element instance.
    private final class Collector: NSObject, XMLParserDelegate {
        struct Record {
            var path: [String]
            var values: [String: String] = [:]
        }

        let leaves: Set<String>
        var root: String?
        var records: [Record] = []
        /// Open elements: the record each opened, or nil for a leaf being read.
        private var stack: [(name: String, record: Int?)] = []
        private var text: String?

        init(leaves: Set<String>) { self.leaves = leaves }

        func parse(_ data: Data) -> Bool {
            let parser = XMLParser(data: data)
            parser.shouldResolveExternalEntities = false
            parser.delegate = self
            return parser.parse()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if root == nil { root = name }
            if leaves.contains(name), !stack.isEmpty, text == nil {
                text = ""
                stack.append((name, nil))
            } else {
                // An element inside a leaf makes the leaf's text meaningless: drop it.
                text = nil
                records.append(Record(path: stack.map(\.name) + [name]))
                stack.append((name, records.count - 1))
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text? += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard let ended = stack.popLast() else { return }
            guard ended.record == nil else { return }
            if let value = text, let parent = stack.last(where: { $0.record != nil })?.record {
                records[parent].values[name] = value
            }
            text = nil
        }
    }
}
